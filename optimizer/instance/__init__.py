"""Instance stage: files -> validated ``Instance`` (no Pyomo here)."""

from reeplan.instance.io import load_instance, read_raw, write_csv_folder, write_yaml
from reeplan.instance.schema import Instance

__all__ = ["Instance", "load_instance", "read_raw", "write_csv_folder", "write_yaml"]
