"""`seq` must keep working for shell scripts that mean coreutils seq."""

import shutil

import pytest

from musicpipe.coreutils_seq import is_coreutils_call
from tests.conftest import BIN, sh

SYSTEM_SEQ = shutil.which("seq", path="/usr/bin:/bin")


@pytest.mark.parametrize("args", [["10"], ["1", "10"], ["1", "2", "10"], ["-w", "1", "10"],
                                  ["-s", ",", "5"], ["-s,", "5"], ["-f", "%.2f", "0", "0.5", "2"],
                                  ["--", "-3", "3"], ["--separator=:", "3"], ["2.5"], ["-5", "-1"]])
def test_numeric_invocations_are_coreutils(args):
    assert is_coreutils_call(args)


@pytest.mark.parametrize("args", [["C4/4 D4/4"], ["C4/4"], ["60/4"], ["--bpm", "120", "C4/4"], [],
                                  ["1", "2", "3", "4"]])
def test_note_invocations_are_ours(args):
    assert not is_coreutils_call(args)


@pytest.mark.skipif(SYSTEM_SEQ is None, reason="no coreutils seq")
@pytest.mark.parametrize("args", ["10", "1 10", "-w 8 10", "-s, 5", "-f %.1f 0 0.5 2", "3 -1 1", "0"])
def test_output_and_exit_code_are_exactly_the_system_seq(args):
    ours = sh(f"{BIN}/seq {args}", check=False)
    theirs = sh(f"{SYSTEM_SEQ} {args}", check=False)
    assert (ours.stdout, ours.stderr, ours.returncode) == (theirs.stdout, theirs.stderr.replace(
        SYSTEM_SEQ.encode(), b"seq"), theirs.returncode)


def test_shell_loop_with_seq_still_works():
    assert sh("for i in $(seq 1 3); do printf $i; done").stdout == b"123"


def test_note_numbers_with_durations_are_notes_and_counting_hints_in_the_next_stage():
    from tests.conftest import events, notes, sh

    assert [n["key"] for n in notes(events(sh("seq 60/4 64/4 67/2").stdout))] == [60, 64, 67]
    assert [n["key"] for n in notes(events(sh('seq "60 64 67"').stdout))] == [60, 64, 67]
    proc = sh("seq 60 64 67 | transpose -s 2", check=False)  # coreutils counts 60, 64
    assert proc.returncode == 65 and b'seq "60 64 67"' in proc.stderr
