"""Instance stage: files -> validated ``Instance`` (no Pyomo here)."""

from optimizer.instance.io import load_instance, read_raw, write_csv_folder, write_yaml
from optimizer.instance.schema import Instance

__all__ = ["Instance", "load_instance", "read_raw", "write_csv_folder", "write_yaml"]
