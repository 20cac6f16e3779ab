"""Rewrite the generated sections in place, in whichever file each one lives (SECTION_FILES)."""

from tooling.docs_generation import REPO, generated_files, render_file

for path in generated_files():
    text = path.read_text(encoding="utf-8")
    rendered = render_file(path, text)
    if rendered != text:
        path.write_text(rendered, encoding="utf-8")
        print(f"updated {path.relative_to(REPO)}")
    else:
        print(f"current {path.relative_to(REPO)}")
