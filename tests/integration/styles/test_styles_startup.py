"""A broken style file stops `studio serve` at start-up with one sentence naming the file and field."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.common.paths import REPO
from tests.net import free_port


def test_a_broken_style_stops_studio_naming_file_and_field(tmp_path: Path) -> None:
    styles = tmp_path / "styles"
    styles.mkdir()
    (styles / "sepia.toml").write_text('positive = "sepia photo"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env.update({"STUDIO_STYLES_DIR": str(styles), "STUDIO_DATA_DIR": str(tmp_path / "data")})
    done = subprocess.run(
        [sys.executable, "-m", "studio", "serve", "--port", str(free_port())],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == f"studio: {styles / 'sepia.toml'}: positive: the template must contain {{prompt}} (where the user's prompt goes)"
