"""Components publish exactly the outputs their class declares (Pulumi's component schema reads the annotations)."""

import re
from pathlib import Path

import pulumi
import pytest

from components.outputs import publish_outputs


class Declares(pulumi.ComponentResource):
    url: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(self, **outputs):
        super().__init__("test:index:Declares", "declares")
        publish_outputs(self, **outputs)


def test_publishes_each_declared_output_as_an_attribute():
    component = Declares(url="https://x", name="n")
    assert (component.url, component.name) == ("https://x", "n")


@pytest.mark.parametrize("outputs", [{"url": "https://x"}, {"url": "https://x", "name": "n", "extra": 1}])
def test_a_missing_or_undeclared_output_is_refused(outputs):
    with pytest.raises(TypeError, match=r"declares outputs \['name', 'url'\]"):
        Declares(**outputs)


def test_every_component_publishes_through_publish_outputs():
    sources = {
        p.name: p.read_text(encoding="utf-8") for p in (Path(__file__).resolve().parents[1] / "components").glob("*.py")
    }
    declaring = [name for name, text in sources.items() if "(pulumi.ComponentResource):" in text]
    assert len(declaring) >= 6
    # Whitespace-insensitive: the formatter may break the call after its parenthesis.
    assert [name for name in declaring if not re.search(r"publish_outputs\(\s*self\b", sources[name])] == []
    assert [name for name, text in sources.items() if ".register_outputs(" in text] == ["outputs.py"]
