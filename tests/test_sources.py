"""What the user pointed at: scenario files are read like instances (strict loader, unknown keys refused)."""

from __future__ import annotations

import pytest
from reeplan.errors import InstanceError
from reeplan.sources import parse_scenario

from tests.conftest import DATA


def test_a_misspelt_scenario_key_is_an_error_with_a_suggestion(tmp_path):
    path = tmp_path / "half.yaml"
    path.write_text(f"base: {DATA / 'two_sites.yaml'}\nnme: half\noverides:\n  budget.total_bn_rub: 5\n")
    with pytest.raises(InstanceError) as err:
        parse_scenario(str(path))
    text = str(err.value)
    assert "did you mean 'name'" in text and "did you mean 'overrides'" in text


def test_a_scenario_file_with_a_duplicate_key_is_refused(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(f"base: {DATA / 'two_sites.yaml'}\nname: a\nname: b\n")
    with pytest.raises(InstanceError, match="name"):
        parse_scenario(str(path))


def test_a_good_scenario_file_applies_its_overrides(tmp_path):
    path = tmp_path / "half.yaml"
    path.write_text(f"base: {DATA / 'two_sites.yaml'}\nname: half\noverrides:\n  budget.total_bn_rub: 5\n")
    scenario = parse_scenario(str(path))
    assert scenario.label == "half" and scenario.instance.budget.total_bn_rub == 5
