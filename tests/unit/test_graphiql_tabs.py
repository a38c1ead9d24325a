"""GraphiQL opens with the README's example queries: the same documents, in the same order."""

import re
from pathlib import Path

from graphql import parse, print_ast

from gateway.server.graphiql_tabs import EXAMPLE_TABS

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_examples() -> list[str]:
    text = README.read_text()
    section = text.split("\n## Example queries\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```graphql\n(.*?)```", section, re.DOTALL)


def test_the_tabs_are_the_readme_examples_in_order():
    examples = readme_examples()
    assert len(examples) >= 5
    assert [print_ast(parse(tab.as_graphiql()["query"])) for tab in EXAMPLE_TABS] == [
        print_ast(parse(example)) for example in examples
    ]


def test_every_variable_a_tab_declares_is_in_its_variables_editor():
    for tab in EXAMPLE_TABS:
        declared = set(re.findall(r"\$(\w+):", tab.document))
        assert declared == set(tab.variables), tab.document
