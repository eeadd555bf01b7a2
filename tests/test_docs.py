"""Every command has help text and a README entry (sqlite-utils' test_docs habit)."""

from pathlib import Path

from click.testing import CliRunner

from triage.cli import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_command_documented():
    runner = CliRunner()
    for name, cmd in main.commands.items():
        assert cmd.help, f"triage {name} has no help text"
        res = runner.invoke(main, [name, "--help"])
        assert res.exit_code == 0 and "Exit codes" in res.output
        assert f"triage {name}" in README, f"README does not mention `triage {name}`"
