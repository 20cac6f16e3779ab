"""The reporter's interface (contract/reporter.py): the environment DailyAggregator gives the function, by name."""

import pytest

from contract.reporter import environment

REQUIRED = {
    "collector_url": "https://collector.example.com/record",
    "stack_id": "s-1",
    "product_version": "1.2.3",
    "metrics_namespace": "lunasec",
}


def test_each_keyword_becomes_its_variable_and_an_unset_one_is_left_out():
    assert environment(**REQUIRED, max_attempts="3", dimension_names=None) == {
        "COLLECTOR_URL": "https://collector.example.com/record",
        "STACK_ID": "s-1",
        "PRODUCT_VERSION": "1.2.3",
        "METRICS_NAMESPACE": "lunasec",
        "MAX_ATTEMPTS": "3",
    }


def test_a_variable_the_handler_does_not_read_is_refused_by_name_and_value():
    with pytest.raises(TypeError, match=r"^colector_url='x' is not a reporter variable: allowed are collector_url, "):
        environment(**REQUIRED, colector_url="x")


def test_a_missing_required_variable_is_refused():
    with pytest.raises(TypeError, match=r"^the reporter needs stack_id$"):
        environment(**{k: v for k, v in REQUIRED.items() if k != "stack_id"})
