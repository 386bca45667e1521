"""The Retell channel serves any Rasa 3.6 project: a call to a stock `rasa init` project.

The project is Rasa's own initial project (`create_initial_project`, what `rasa init` copies),
with a small config so training takes seconds, and a copy of the channel: `connector/retell/`,
`connector/__init__.py` and the `common` modules the channel imports. It is trained and served
by the venv's stock `rasa train` and `rasa run`, without an action server.
"""

from __future__ import annotations

import ast
import asyncio
import json
import re
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rasa.cli.scaffold import create_initial_project

from connector.retell.simulator import FakeRetell, SimulatedCall
from tests.e2e.calls import held
from tests.e2e.servers import BIN, REPO, base_env, free_port, tail, wait_for_port

# A few epochs of a small pipeline: enough for the stock examples, trained in seconds.
CONFIG = """\
recipe: default.v1
assistant_id: stock_with_retell
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: 30
    random_seed: 1
policies:
  - name: MemoizationPolicy
  - name: RulePolicy
"""

CHANNEL = "\nconnector.retell.channel.RetellInput:\n  greeting: /greet\n"

# Which files the channel's import loads, seen as `rasa` sees them (rasa/__main__.py puts the
# working directory on the path ahead of the installed packages): every module of the copied
# packages and of `actions`, with its file.
WHICH_FILES = (
    "import json, os, sys; sys.path.insert(1, os.getcwd()); import connector.retell.channel; "
    "print(json.dumps({n: m.__file__ for n, m in sys.modules.items() "
    "if n.split('.')[0] in ('connector', 'common', 'actions')}))"
)


@dataclass
class Stock:
    project: Path
    port: int
    server: subprocess.Popen


def common_modules_of_the_channel() -> set[str]:
    """The `common` modules the channel's code imports (`from common import x, y`)."""
    names = set()
    for source in (REPO / "connector" / "retell").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "common":
                names.update(alias.name for alias in node.names)
    return names


def copy_the_channel(project: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "connector" / "retell", project / "connector" / "retell", ignore=ignore)
    shutil.copy(REPO / "connector" / "__init__.py", project / "connector" / "__init__.py")
    (project / "common").mkdir()
    for name in ["__init__", *sorted(common_modules_of_the_channel())]:
        shutil.copy(REPO / "common" / f"{name}.py", project / "common" / f"{name}.py")


@pytest.fixture(scope="module")
def stock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stock]:
    """The stock project with the channel, trained and served."""
    project = tmp_path_factory.mktemp("stock_project")
    create_initial_project(str(project))
    copy_the_channel(project)
    (project / "config.yml").write_text(CONFIG)
    with (project / "credentials.yml").open("a") as credentials:
        credentials.write(CHANNEL)
    env = base_env(TQDM_DISABLE="1", PYTHONWARNINGS="ignore")
    trained = subprocess.run(
        [str(BIN / "rasa"), "train", "--fixed-model-name", "stock"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert trained.returncode == 0, (trained.stdout + trained.stderr)[-3000:]
    port, log = free_port(), project / "rasa.log"
    with log.open("ab") as out:
        server = subprocess.Popen(
            [
                str(BIN / "rasa"),
                "run",
                "--interface",
                "127.0.0.1",
                "--port",
                str(port),
                "--credentials",
                "credentials.yml",
                "--model",
                "models/stock.tar.gz",
            ],
            cwd=project,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, server, 180, log)
        yield Stock(project, port, server)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def test_the_copy_of_the_channel_is_what_runs_and_it_needs_nothing_else(stock):
    project = stock.project
    shown = subprocess.run(
        [str(BIN / "python"), "-c", WHICH_FILES],
        cwd=project,
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr[-3000:]
    files = json.loads(shown.stdout.splitlines()[-1])
    copy = project.resolve()
    assert Path(files["connector.retell.channel"]).resolve().parent == copy / "connector" / "retell"
    # Everything comes from the copy: nothing is borrowed from the repository (its Rasa patches
    # included), and no actions are imported.
    assert all(Path(f).resolve().is_relative_to(copy) for f in files.values()), files
    assert not any(n.startswith(("connector.rasa_patches", "actions")) for n in files), files


def test_a_call_to_the_stock_project(stock):
    project = stock.project
    url = f"ws://127.0.0.1:{stock.port}/webhooks/retell/llm-websocket"

    async def call():
        fake = FakeRetell()
        sim = await SimulatedCall(url, fake=fake).connect()
        try:
            heard = [await sim.greeting(), await sim.say("I am feeling great")]
            # Barge-in: the caller goes on before the first line's reply; only the newest
            # response id is answered, for both lines as one turn. The stock turns take a few
            # milliseconds, so the server is held while both requests go out.
            with held(stock.server):
                superseded = await sim.send_line("are you")
                newest = await sim.send_line("a bot")
            heard.append(await sim.response(newest))
        finally:
            await sim.close()
        again = await SimulatedCall(url, fake=fake).connect()  # the same call id: a reconnect
        try:
            await asyncio.sleep(0.5)
            reopened = [f for f in fake.received if f.get("response_id") == 0][-1]
            heard.append(await again.say("bye"))
        finally:
            await again.close()
        return fake, heard, superseded, reopened

    fake, heard, superseded, reopened = asyncio.run(asyncio.wait_for(call(), 120))
    log = tail(project / "rasa.log", 400)
    assert [r.text for r in heard] == [
        "Hey! How are you?",
        "Great, carry on!",
        "I am a bot, powered by Rasa.",
        "Bye.",  # a line without a stop gets one, so speech does not run it on (tts_text.py)
    ], log
    # A stock turn takes milliseconds and runs without a pause, so its words may be on the wire
    # before the newer request is read; Retell (and the fake) drop content for an older id.
    assert f"response {superseded} superseded by {heard[2].response_id}" in log, log
    assert not fake.responses[superseded].chunks
    # The second socket got an empty, complete response 0: no second greeting.
    assert reopened == {
        "response_type": "response",
        "response_id": 0,
        "content": "",
        "content_complete": True,
    }
    assert not fake.errors, fake.errors
    # The generic routes, from the policy that predicted each turn: the stories
    # (data/stories.yml) answer the greeting and the mood, the rules (data/rules.yml) the rest.
    routes = dict(re.findall(r"turn response_id=(\d+) kind=\w+ route=(\w+)", log))
    assert [routes.get(str(r.response_id)) for r in heard] == [
        "memoization",
        "memoization",
        "rule",
        "rule",
    ], log
    # The metrics carry the same routes, under the default name prefix.
    scrape = f"http://127.0.0.1:{stock.port}/webhooks/retell/metrics"
    with urllib.request.urlopen(scrape, timeout=10) as response:
        exposition = response.read().decode()
    assert 'retell_turns_total{kind="greeting",route="memoization"} 1.0' in exposition
    assert 'retell_turns_total{kind="response",route="rule"}' in exposition
