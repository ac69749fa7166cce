"""The Python API (`import musicpipe as mp`): the shell's bytes, files, warnings and errors,
in-process; docs/python.md's examples as doctests."""

from __future__ import annotations

import doctest
import re
import subprocess
import sys

import pytest

import musicpipe as mp
from musicpipe import api
from tests.conftest import ROOT, sh


def tour() -> list[str]:
    """The README's quick-tour commands (a { } group spans lines), comments and a final
    `> /dev/null` cut (the test compares stdout too)."""
    text = (ROOT / "README.md").read_text()
    block = text.split("## A quick tour", 1)[1].split("\n\n")[2]
    commands, current = [], ""
    for line in block.splitlines():
        line = re.sub(r"\s+# .*$", "", line.strip()).removesuffix(" > /dev/null")
        current = f"{current}\n{line}" if current else line
        if current.count("{") == current.count("}") and not current.endswith("\\"):
            commands.append(current)
            current = ""
    return commands


def test_the_tour_is_read():
    commands = tour()
    assert len(commands) >= 9 and commands[3].startswith("{ euclid")
    assert any("mood lofi" in c for c in commands) and not any(">" in c for c in commands)


@pytest.mark.parametrize("command", tour())
def test_the_readme_tour_gives_the_shells_bytes(command, tmp_path, monkeypatch):
    """Every file, stdout byte and stderr line of each tour pipeline, via mp.run and sh."""
    song = sh("seed 5 | motif --bars 2 --patch piano | to-midi").stdout
    shell, python = tmp_path / "shell", tmp_path / "python"
    for folder in (shell, python):
        (folder / "examples").mkdir(parents=True)
        (folder / "song.mid").write_bytes(song)
        (folder / "examples" / "scene.toml").write_bytes((ROOT / "examples" / "scene.toml").read_bytes())
    proc = sh(command, cwd=shell)
    monkeypatch.chdir(python)
    monkeypatch.setenv("NO_COLOR", "1")
    piece = mp.run(command, echo=False)
    assert piece.data == proc.stdout
    assert piece.warnings == proc.stderr.decode().splitlines()
    made = {str(p.relative_to(shell)): p.read_bytes() for p in sorted(shell.rglob("*"))
            if p.is_file()}  # stems and split tracks in folders too
    assert made == {str(p.relative_to(python)): p.read_bytes() for p in sorted(python.rglob("*"))
                    if p.is_file()}
    assert made != {"song.mid": song} or proc.stdout or proc.stderr  # the command did something


def test_steps_equal_the_pipeline_text(tmp_path):
    ev = mp.pipe(mp.seed(42), mp.motif(notes=16), mp.scale(root="D", mode="dorian"))
    assert bytes(ev) == sh("seed 42 | motif --notes 16 | scale --root D --mode dorian").stdout
    mp.to_midi(ev, tmp_path / "x.mid")
    sh(f"seed 42 | motif --notes 16 | scale --root D --mode dorian | to-midi --out {tmp_path}/y.mid")
    assert (tmp_path / "x.mid").read_bytes() == (tmp_path / "y.mid").read_bytes()
    duo = mp.pipe(mp.layer(mp.seed(1) | mp.motif(bars=2, patch="strings"),
                           mp.seq("C2/2 G1/2 | F1/2 G1/2", ch=1, patch="bass")), mp.humanize())
    assert bytes(duo) == sh('{ seed 1 | motif --bars 2 --patch strings; seq "C2/2 G1/2 | '
                            'F1/2 G1/2" --ch 1 --patch bass; } | humanize').stdout
    low = mp.pipe(mp.seed(1), mp.motif(), mp.transpose(semitones=-12), mp.rubato(style="phrase"))
    assert bytes(low) == sh("seed 1 | motif | transpose --semitones -12 | rubato --style phrase").stdout


def test_mood_gives_the_commands_stream_and_files(tmp_path):
    calm = mp.mood("calm", seconds=3, seed=7, key="Am", tempo=80, intensity=70)
    args = "calm --duration 3 --seed 7 --key Am --tempo 80 --intensity 70"
    assert bytes(calm) == sh(f"mood {args}").stdout
    calm.to_wav(tmp_path / "a.wav")
    calm.to_midi(tmp_path / "a.mid")
    sh(f"mood {args} --out {tmp_path}/b.wav && mood {args} --out {tmp_path}/b.mid")
    for ext in ("wav", "mid"):
        assert (tmp_path / f"a.{ext}").read_bytes() == (tmp_path / f"b.{ext}").read_bytes()


def test_mood_bars_and_loop_are_the_commands(tmp_path):
    """bars= and loop= are `mood --bars --loop`: the stream, the .mid and the .wav (with its
    smpl chunk) byte for byte; bars with seconds and tempo is the command's one line."""
    from tests.test_mood_loop import smpl_loop

    loop = mp.mood("calm", bars=2, seed=3, loop=True, echo=False)
    args = "calm --bars 2 --seed 3 --loop"
    assert bytes(loop) == sh(f"mood {args}").stdout
    loop.to_wav(tmp_path / "a.wav", echo=False)
    loop.to_midi(tmp_path / "a.mid", echo=False)
    sh(f"mood {args} --out {tmp_path}/b.wav && mood {args} --out {tmp_path}/b.mid")
    for ext in ("wav", "mid"):
        assert (tmp_path / f"a.{ext}").read_bytes() == (tmp_path / f"b.{ext}").read_bytes()
    assert smpl_loop(tmp_path / "a.wav")[0] == 0
    with pytest.raises(mp.PipelineError) as e:
        mp.mood("calm", 8, bars=4, tempo=90, seed=1, echo=False)
    assert e.value.exit_code == 2 and str(e.value) == sh(
        "mood calm --duration 8 --bars 4 --tempo 90 --seed 1", check=False).stderr.decode().strip()


def test_a_random_seed_is_announced_and_kept(tmp_path, capsys):
    piece = mp.mood("lofi", seconds=1)
    assert piece.seed is not None
    assert f"using seed {piece.seed}" in capsys.readouterr().err
    piece.to_midi(tmp_path / "r.mid")
    sh(f"mood lofi --duration 1 --seed {piece.seed} --out {tmp_path}/s.mid")
    assert (tmp_path / "r.mid").read_bytes() == (tmp_path / "s.mid").read_bytes()


def test_errors_are_the_commands_one_line():
    with pytest.raises(mp.PipelineError) as e:
        mp.run("seed 1 | motif --notes 0", echo=False)
    assert e.value.exit_code == 2 and e.value.stage == "motif"
    assert str(e.value) == sh("motif --notes 0", check=False).stderr.decode().strip()
    with pytest.raises(mp.PipelineError) as e:
        mp.run("transpose -s 1", input=b'{"type":"Note"}\n', echo=False)
    assert e.value.exit_code == 65 and "line 1" in str(e.value)
    with pytest.raises(TypeError, match="notez"):
        mp.motif(notez=3)


@pytest.mark.parametrize("text, message", [
    ("seed 1 | rm -rf x", "unknown stage 'rm'"),
    ("seed 1; ls", "one pipeline at a time"),
    ("seed 1 && ls", "'&' is not supported"),
    ("seed 1 | motif > x", "'>' is not supported"),
    ("seed 1 |", "a stage is missing"),
    ('seq "C4/4', "No closing quotation"),
    ("{ seed 1 }", "`{` without its `}`"),
    ("batch jobs.jsonl --out x", "unknown stage 'batch'"),
])
def test_only_stage_pipelines_run(text, message):
    with pytest.raises(mp.PipelineError, match=re.escape(message)) as e:
        mp.run(text)
    assert e.value.exit_code == 2


def test_nothing_starts_a_process(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise AssertionError("a process was started")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    monkeypatch.chdir(tmp_path)
    mp.run("seed 1 | motif | to-midi --out m.mid | from-midi m.mid", echo=False)
    mp.mood("calm", seconds=1, seed=1).to_wav("c.wav")
    assert (tmp_path / "c.wav").stat().st_size > 44


def test_import_musicpipe_stays_cheap_and_names_are_not_modules():
    code = "import musicpipe, sys; print(sorted(m for m in sys.modules if 'musicpipe' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip() == "['musicpipe']"
    assert mp._API == set(api.__all__)
    modules = {p.stem for p in (ROOT / "musicpipe").iterdir() if p.suffix == ".py" or p.is_dir()}
    assert not mp._API & modules
    code = "import musicpipe as mp, musicpipe.scoring.plan; print(mp.score.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.split() == ["musicpipe.api"]  # the package scoring never hides the API's score


SCENE = ROOT / "examples" / "scene.toml"


def test_score_gives_the_commands_stream_and_files(tmp_path):
    """The 60 s plan of examples/scene.toml: as a path, TOML text, JSON text and a dict,
    the stream `score` prints; its .mid the bytes `score ... --out x.mid` writes."""
    import tomllib

    import orjson

    shell = sh(f"score {SCENE}")
    text = SCENE.read_text()
    plans = [SCENE, str(SCENE), text, orjson.dumps(tomllib.loads(text)).decode(),
             tomllib.loads(text)]
    for plan in plans:
        piece = mp.score(plan, echo=False)
        assert bytes(piece) == shell.stdout and piece.seed == 7
        assert piece.warnings == shell.stderr.decode().splitlines()
    sh(f"score {SCENE} --out {tmp_path}/cli.mid")
    assert mp.score(SCENE, out=tmp_path / "api.mid", echo=False) == str(tmp_path / "api.mid")
    assert piece.to_midi(tmp_path / "dict.mid", echo=False) == str(tmp_path / "dict.mid")
    for name in ("api.mid", "dict.mid"):
        assert (tmp_path / name).read_bytes() == (tmp_path / "cli.mid").read_bytes()
    assert mp.score(text, seed=8, echo=False).data == sh(f"score {SCENE} --seed 8").stdout
    with pytest.raises(mp.PipelineError, match="write a .wav file"):
        piece.to_wav(tmp_path / "x.mid")


def test_score_keeps_a_drawn_seed_for_its_files(tmp_path, capsys):
    plan = {"duration": 3, "region": [{"mood": "lofi", "at": 0}]}
    piece = mp.score(plan)
    assert piece.seed is not None and f"using seed {piece.seed}" in capsys.readouterr().err
    piece.to_midi(tmp_path / "r.mid", echo=False)
    import orjson

    sh(f"score - --seed {piece.seed} --out {tmp_path}/s.mid", input=orjson.dumps(plan))
    assert (tmp_path / "r.mid").read_bytes() == (tmp_path / "s.mid").read_bytes()


@pytest.mark.parametrize("plan, field", [
    ({"duration": 40, "region": [{"mood": "calm", "at": 0}, {"mood": "calm", "at": 45}]},
     "region[1].at: 45 is past duration 40"),
    ('duration = 10\n[[region]]\nmood = "calmm"\nat = 0\n', "region[0].mood: no mood 'calmm'"),
    ({"duration": 10, "region": [{"mood": "calm", "at": 0}], "hit": [{"at": 2, "kind": "boom"}]},
     "hit[0].kind: \"boom\": not one of accent, stop, stinger, riser-to"),
])
def test_a_bad_plan_is_the_commands_one_line(plan, field, tmp_path):
    import orjson

    with pytest.raises(mp.PipelineError) as e:
        mp.score(plan, out=tmp_path / "x.mid", echo=False)
    text = plan if isinstance(plan, str) else orjson.dumps(plan)
    cli = sh("score -", input=text, check=False)
    assert e.value.exit_code == cli.returncode == 65
    assert str(e.value) == cli.stderr.decode().strip() and field in str(e.value)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(TypeError, match="not int"):
        mp.score(3)


def test_python_md_examples(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    result = doctest.testfile(str(ROOT / "docs" / "python.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS)
    assert result.attempted > 20 and result.failed == 0
