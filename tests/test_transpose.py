from click.testing import CliRunner

from musicpipe.stages.transpose import command
from musicpipe.transforms.transpose import transpose
from tests.conftest import events, jsonl, notes, sh


def note(key, ch=0, t=0):
    return {"type": "Note", "t": t, "dur": 480, "ch": ch, "key": key, "vel": 90}


def test_shifts_notes_and_leaves_other_events_and_the_input_alone():
    src = [{"type": "Tempo", "t": 0, "bpm": 90}, note(60), {"type": "Odd", "key": 60}]
    out = list(transpose(src, -12))
    assert out == [src[0], note(48), src[2]]
    assert src[1]["key"] == 60


def test_drums_untouched_unless_asked():
    assert [e["key"] for e in transpose([note(36, ch=9), note(60)], 5)] == [36, 65]
    assert [e["key"] for e in transpose([note(36, ch=9)], 5, drums=True)] == [41]


def test_channel_filter():
    assert [e["key"] for e in transpose([note(60, ch=0), note(60, ch=1)], 2, channels=[1])] == [60, 62]


def test_out_of_range_policies_and_count():
    src = [note(125), note(3), note(60)]
    stats = {}
    assert [e["key"] for e in transpose(src, 7, stats=stats)] == [120, 10, 67]
    assert stats == {"out_of_range": 1}
    assert [e["key"] for e in transpose(src, -7, policy="clamp")] == [118, 0, 53]
    assert [e["key"] for e in transpose(src, -7, policy="drop")] == [118, 53]
    assert [e["key"] for e in transpose([note(2)], -7)] == [7]


def test_pipeline_negative_semitones_and_stderr_count():
    proc = sh("seed 42 | transpose --semitones -12", input=None)
    assert events(proc.stdout) == [{"type": "Seed", "seed": 42}]
    proc = sh("transpose --semitones 12 --out-of-range drop", input=jsonl([note(120), note(60)]))
    assert [n["key"] for n in notes(events(proc.stdout))] == [72]
    assert proc.stderr.decode() == "transpose: 1 notes dropped, outside 0..127\n"


def test_pair_form_in_and_out():
    pairs = (b'{"type":"NoteOn","t":0,"ch":0,"key":60,"vel":80}\n'
             b'{"type":"NoteOff","t":480,"ch":0,"key":60}\n')
    out = sh("transpose -s 5", input=pairs).stdout
    assert events(out) == [{"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 65, "vel": 80}]
    out = sh("transpose -s 5 --pairs", input=pairs).stdout
    assert events(out) == [{"type": "NoteOn", "t": 0, "ch": 0, "key": 65, "vel": 80},
                           {"type": "NoteOff", "t": 480, "ch": 0, "key": 65, "vel": 0}]
    assert sh("transpose -s 5", input=pairs, env={"MUSICPIPE_NOTE_FORM": "pairs"}).stdout == out


def test_in_process_with_click_runner():
    result = CliRunner().invoke(command, ["-s", "2"], input=jsonl([note(60)]))
    assert result.exit_code == 0
    assert events(result.stdout_bytes) == [note(62)]


def test_bad_data_in_process_exit_65():
    result = CliRunner().invoke(command, ["-s", "2"], input=jsonl([note(60)]) + b'{"type":"Note"}\n')
    assert result.exit_code == 65
    assert events(result.stdout_bytes) == [note(62), {
        "type": "Abort", "stage": "transpose",
        "message": 'line 2: Note is missing field "t" (0..2147483647)'}]
