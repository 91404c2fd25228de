"""The docs checks of tests/test_docs.py catch drift: fed a stale document, they name the
document line, the command and the flag (or the test, path or module) that no longer exists."""

from __future__ import annotations

import re
import warnings

from tests.docs_citations import cited, problem
from tests.docs_cli import check, shown_commands
from tests.test_docs import ROOT

STALE = """# A stale guide

Run `evogroup search --backend binmobilenet --budgett 0.8e8` to search, or
`evogroup serch --backend synthetic` (a typo), then `evogroup backends`.

```bash
$ evogroup flops --backend birealnet --module M1 --groups 4 | tail -3
torchrun --standalone --nproc_per_node 2 -m evogroup train-supernet \\
    --backend binmobilenet --epoch 1 --out runs/ddp   # one epoch
evogroup space --backend synthetic [--budget X]
```

```python
import subprocess  # a python block is code, not a command line: evogroup --nope is not read
```

The test `test_table1_flops` checks `evogroup/torch/shared.py`, and
`evogroup.torch.nn.shared.SharedConv2d` and `evogroup.torch.nn.shared.SharedConv3d` exist.

`evogroup.torch.shared.SharedConv2d` is a stale path.

0.1's `evogroup.torch.shared` is deprecated: a paragraph about the deprecation may name it.
"""


def errors_of(tmp_path, text: str) -> list[str]:
    path = tmp_path / "stale.md"
    path.write_text(text)
    return [e for shown in shown_commands(path) for e in check(shown)]


def test_a_renamed_flag_a_wrong_command_and_a_flag_of_another_backend_fail(tmp_path):
    errors = errors_of(tmp_path, STALE)
    assert errors == [
        "stale.md:3: `evogroup search --backend binmobilenet --budgett 0.8e8`: evogroup search"
        " --backend binmobilenet has no option --budgett (did you mean --budget or --budget-min?)",
        "stale.md:4: `evogroup serch --backend synthetic`: evogroup has no command 'serch'"
        " (did you mean search?)",
        "stale.md:7: `$ evogroup flops --backend birealnet --module M1 --groups 4 | tail -3`:"
        " evogroup flops --backend birealnet has no option --module",
        "stale.md:8: `torchrun --standalone --nproc_per_node 2 -m evogroup train-supernet"
        " --backend binmobilenet --epoch 1 --out runs/ddp # one epoch`: evogroup"
        " train-supernet --backend binmobilenet has no option --epoch (did you mean --epochs?)",
    ]


def test_the_current_docs_pass_but_one_renamed_flag_in_them_fails(tmp_path):
    """reproduce.md as it stands, then with ``--supernet`` renamed ``--super-net``."""
    text = (ROOT / "docs" / "reproduce.md").read_text()
    assert "--supernet " in text and not errors_of(tmp_path, text)
    errors = errors_of(tmp_path, text.replace("--supernet ", "--super-net "))
    assert len(errors) == 1
    assert re.match(
        r"stale\.md:\d+: `evogroup search --backend binmobilenet .*--super-net .*`: evogroup"
        r" search --backend binmobilenet has no option --super-net \(did you mean --supernet[ )]",
        errors[0],
    ), errors[0]


def test_a_placeholder_backend_takes_the_flags_of_some_backend(tmp_path):
    ok = "`evogroup flops --backend B --module M1 --groups G [--json]`"
    assert errors_of(tmp_path, ok) == []
    (error,) = errors_of(tmp_path, "`evogroup flops --backend B --modul M1`")
    assert error.endswith(
        "evogroup flops --backend B has no option --modul (did you mean --module?)"
    )


def test_a_backend_option_without_its_backend_names_the_backends_that_take_it(tmp_path):
    (error,) = errors_of(tmp_path, "`evogroup space --binarize`")
    assert error.endswith(
        "evogroup space has no option --binarize (an option of --backend module, torchvision)"
    )


def test_an_extra_argument_fails(tmp_path):
    (error,) = errors_of(tmp_path, "`evogroup search somewhere --backend synthetic`")
    assert "evogroup search takes 0 argument(s), but the line gives ['somewhere']" in error


def test_stale_test_names_paths_and_modules_are_named(tmp_path):
    path = tmp_path / "stale.md"
    path.write_text(STALE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        found = [(where, name, problem(kind, name)) for where, kind, name in cited(path)]
    stale = [(where, name, why) for where, name, why in found if why]
    assert stale == [
        ("stale.md:17", "test_table1_flops", "no test named test_table1_flops in the repository"),
        ("stale.md:17", "evogroup/torch/shared.py", "no file or folder evogroup/torch/shared.py"),
        (
            "stale.md:18",
            "evogroup.torch.nn.shared.SharedConv3d",
            "evogroup.torch.nn.shared has no attribute SharedConv3d",
        ),
        (
            "stale.md:20",
            "evogroup.torch.shared.SharedConv2d",
            "evogroup.torch.shared is a deprecated module path: cite evogroup.torch.nn.shared",
        ),
    ]
    assert ("stale.md:18", "evogroup.torch.nn.shared.SharedConv2d", None) in found
    assert ("stale.md:22", "evogroup.torch.shared", None) in found
