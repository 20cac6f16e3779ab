"""The reporter's interface (contract/reporter.py): the environment DailyAggregator gives the function, by name."""

from dataclasses import fields

import pytest

from contract.reporter import ENVIRONMENT_LIMIT_BYTES, Variables, environment, environment_size

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


def test_the_handler_reads_back_every_variable_the_component_sets():
    every = {field.name: f"value-{field.name}" for field in fields(Variables)}
    assert Variables.read(environment(**every)) == Variables(**every)


def test_the_variables_keep_the_names_operators_and_the_dry_run_use():
    # docs/reporting-from-your-stack.md exports them from a deployed function for the dry run.
    assert [field.name.upper() for field in fields(Variables)] == [
        "COLLECTOR_URL",
        "STACK_ID",
        "PRODUCT_VERSION",
        "METRICS_NAMESPACE",
        "HTTP_TIMEOUT_SECONDS",
        "MAX_ATTEMPTS",
        "DIMENSION_NAMES",
        "RETRY_QUEUE_URL",
        "PRODUCT_ID",
        "COUNTER_METRICS",
        "RELEASES_URL",
    ]


def test_an_empty_optional_variable_reads_as_absent_and_a_missing_required_one_is_named():
    variables = Variables.read({name.upper(): value for name, value in REQUIRED.items()} | {"MAX_ATTEMPTS": ""})
    assert variables.max_attempts is None
    with pytest.raises(ValueError, match=r"missing environment variables STACK_ID, METRICS_NAMESPACE$"):
        Variables.read({"COLLECTOR_URL": "https://c.example.com/r", "PRODUCT_VERSION": "1.2.3", "STACK_ID": ""})


def test_the_environments_size_counts_names_values_and_their_quoting_in_bytes():
    assert environment_size({"A": "b"}) == len('{"A":"b"}') == 9
    assert environment_size({"A": "é"}) == 10  # two bytes in UTF-8
    assert ENVIRONMENT_LIMIT_BYTES == 4096
