"""The per-product cost table in docs/products.md: the per-product counts predict a larger stack exactly, and the
quotas it is compared with are AWS's documented defaults."""

import tempfile
from collections import Counter
from pathlib import Path

from tooling.docs_generation import product_quotas


def test_what_one_more_product_adds_predicts_a_stack_of_five():
    costs = product_quotas.product_costs()
    with tempfile.TemporaryDirectory() as folder:
        five = Counter(r.typ for r in product_quotas.run_with(5, Path(folder)).resources)
    assert {typ: costs.at(typ, 5) for typ in five} == dict(five)
    # A product is at least its reports route: two path parts (`<id>`, `reports`), a POST and its model; a further
    # per-product route adds to these counts, and the table follows.
    assert costs.per_product[product_quotas.RESOURCE] >= 2
    assert costs.per_product[product_quotas.METHOD] >= 1
    assert costs.per_product[product_quotas.MODEL] == 1


def test_the_quotas_are_aws_defaults_and_the_largest_counts_stay_within_them():
    assert (product_quotas.RESOURCES_PER_API.limit, product_quotas.ACCOUNT_RATE.limit) == (300, 10_000)
    assert product_quotas.ACCOUNT_BURST.limit == 5_000
    costs = product_quotas.product_costs()
    assert (costs.rate, costs.burst) == (50.0, 100)  # Pulumi.prod.yaml's endpoint throttle
    largest = product_quotas.largest_counts(costs)
    within = {
        product_quotas.RESOURCES_PER_API: lambda n: costs.at(product_quotas.RESOURCE, n),
        product_quotas.ACCOUNT_RATE: lambda n: costs.at(product_quotas.METHOD, n) * costs.rate,
        product_quotas.ACCOUNT_BURST: lambda n: costs.at(product_quotas.METHOD, n) * costs.burst,
    }
    for quota, used in within.items():
        assert used(largest[quota]) <= quota.limit < used(largest[quota] + 1), quota.what
