"""mood: built-in moods to exact-length .mid and .wav, packs, extends, errors, agents' listing."""

import itertools
import statistics
import wave

import mido
import orjson
import pytest

from musicpipe.moods.arrange import arrange
from musicpipe.moods.packs import Library, PackError, load_pack, merge
from musicpipe.audio.export import export
from musicpipe.midi import write_midi
from musicpipe.theory import parse_key
from tests.conftest import ROOT, events, notes, sh

LIBRARY = Library()
BUILTIN = LIBRARY.names()
SEEDS = (1, 2, 3)


def piece(name, seconds=3.0, seed=1, **kw):
    mood = LIBRARY.resolve(name)
    key = kw.pop("key", None) or parse_key(mood.get("key", "C"))
    return arrange(mood, seconds=seconds, key=key, seed=seed, **kw)


def test_at_least_the_moods_the_issue_names():
    assert set(BUILTIN) >= {"suspense", "eerie", "upbeat", "calm", "ambient", "jazz", "chiptune",
                            "orchestral", "show", "synthwave", "lofi"}
    assert LIBRARY.errors() == []


@pytest.mark.parametrize("name", BUILTIN)
def test_each_mood_renders_exact_length_mid_and_wav_at_three_seeds(name, tmp_path):
    for seed in SEEDS:
        evs = piece(name, seconds=2.5, seed=seed)
        for n in range(2):
            write_midi(evs, tmp_path / f"{seed}-{n}.mid")
            export(evs, str(tmp_path / f"{seed}-{n}.wav"), length=2.5, peak=-1.0)
        assert (tmp_path / f"{seed}-0.wav").read_bytes() == (tmp_path / f"{seed}-1.wav").read_bytes()
        assert (tmp_path / f"{seed}-0.mid").read_bytes() == (tmp_path / f"{seed}-1.mid").read_bytes()
        with wave.open(str(tmp_path / f"{seed}-0.wav")) as w:
            assert w.getnframes() == round(2.5 * 44100)
        assert mido.MidiFile(tmp_path / f"{seed}-0.mid").length == pytest.approx(2.5, abs=0.001)
    assert piece(name, seed=1) != piece(name, seed=2)


@pytest.mark.parametrize("name", BUILTIN)
def test_each_layer_has_its_own_channel_and_instrument(name):
    evs = piece(name, seconds=6, intensity=100)
    programs = {e["ch"]: e["program"] for e in evs if e["type"] == "ProgramChange"}
    assert len(programs) >= 3, programs
    sounding = {n["ch"] for n in notes(evs)}
    assert sounding <= set(programs)
    names = [e["text"] for e in evs if e["type"] == "Marker"]
    assert len(names) == len(set(names)) == len(programs)


def profile(name):
    # at the mood's own tempo: without --tempo an 8 s piece is fitted to whole bars (up to
    # 4 % off), which would blur the tempo each mood is written at
    evs = piece(name, seconds=8, seed=5, tempo=LIBRARY.resolve(name)["tempo"])
    tempo = evs[1]["bpm"]
    pitched = [n["key"] for n in notes(evs) if n["ch"] != 9]
    return {"tempo": tempo, "register": statistics.mean(pitched),
            "density": len(notes(evs)) / 8,
            "instruments": frozenset(e["program"] for e in evs if e["type"] == "ProgramChange" and e["ch"] != 9)}


def test_different_moods_differ_measurably():
    profiles = {n: profile(n) for n in BUILTIN}
    for a, b in itertools.combinations(BUILTIN, 2):
        pa, pb = profiles[a], profiles[b]
        differences = [abs(pa["tempo"] - pb["tempo"]) >= 4, abs(pa["register"] - pb["register"]) >= 2,
                       abs(pa["density"] - pb["density"]) >= 2, pa["instruments"] != pb["instruments"]]
        assert sum(differences) >= 2, (a, b, pa, pb)


@pytest.mark.parametrize("key", ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"])
def test_every_key_major_and_minor(key):
    for text in (key, key + "m"):
        root, mode = parse_key(text)
        evs = piece("calm", seconds=4, key=(root, mode))
        melody = [n["key"] % 12 for n in notes(evs) if n["ch"] == 0]
        scale = {(root + i) % 12 for i in ((0, 2, 4, 5, 7, 9, 11) if mode == "major" else (0, 2, 3, 5, 7, 8, 10))}
        assert set(melody) <= scale, (text, set(melody) - scale)
        bass = [n for n in notes(evs) if n["ch"] == 2]
        assert bass and bass[0]["key"] % 12 == root


def test_tempo_asked_is_tempo_played_and_end_is_exact():
    evs = piece("jazz", seconds=5, tempo=90)
    assert [e["bpm"] for e in evs if e["type"] == "Tempo"] == [90.0]
    assert evs[-1] == {"type": "End", "t": 5 * 90 * 480 // 60}
    assert all(n["t"] + n["dur"] <= evs[-1]["t"] for n in notes(evs))


def test_intensity_changes_density_dynamics_and_layers():
    low, high = piece("upbeat", seconds=8, intensity=10), piece("upbeat", seconds=8, intensity=95)
    assert len(notes(high)) > 1.3 * len(notes(low))
    assert statistics.mean(n["vel"] for n in notes(high)) > statistics.mean(n["vel"] for n in notes(low)) + 10
    assert len({n["ch"] for n in notes(high)}) > len({n["ch"] for n in notes(low)})


def test_the_stream_pipes_into_other_stages(tmp_path):
    out = sh(f"mood jazz --duration 4 --seed 7 | viz | to-midi --out {tmp_path}/j.mid").stderr
    assert b"viz:" in out
    mid = mido.MidiFile(tmp_path / "j.mid")
    assert mid.length == pytest.approx(4, abs=0.001)
    assert any("Bass" in t.name for t in mid.tracks) and any("Drums" in t.name for t in mid.tracks)
    stream = sh("mood jazz --duration 4 --seed 7").stdout
    assert stream == sh("mood jazz --duration 4 --seed 7").stdout
    assert events(stream)[0] == {"type": "Seed", "seed": 7}


def test_out_files_from_the_command_line(tmp_path):
    sh(f"mood calm --duration 3 --seed 7 --out {tmp_path}/c.wav")
    sh(f"mood calm --duration 3 --seed 7 --out {tmp_path}/d.wav")
    assert (tmp_path / "c.wav").read_bytes() == (tmp_path / "d.wav").read_bytes()
    with wave.open(str(tmp_path / "c.wav")) as w:
        assert w.getnframes() == 3 * 44100
    proc = sh("mood calm --out x.aiff --seed 1", check=False)
    assert proc.returncode == 2 and b"supported: .wav, .flac, .ogg, .mp3 (or .mid)" in proc.stderr


def test_example_pack_defines_a_new_mood_with_its_own_layers(tmp_path):
    pack = ROOT / "examples" / "moods.toml"
    lib = Library([str(pack)])
    assert lib.errors() == []
    rainy = lib.resolve("rainy-day")
    assert set(rainy["layers"]) == {"guitar", "cello", "rain", "bell"}
    sh(f"mood rainy-day --pack {pack} --duration 3 --seed 2 --out {tmp_path}/r.wav")
    with wave.open(str(tmp_path / "r.wav")) as w:
        assert w.getnframes() == 3 * 44100


def test_midi_cli_rs_pack_loads_as_it_is_and_its_fields_are_used():
    lib = Library([str(ROOT / "examples" / "moods.toml")])
    night = lib.resolve("midnight")
    assert night["tempo"] == 96 and night["key"] == "Dm" and night["intensity"] == 55
    assert "arp" in night["layers"] and "foundation" in night["layers"]  # extends synthwave
    evs = arrange(night, seconds=10, key=parse_key(night["key"]), seed=3)  # 4 bars at 96
    assert evs[1]["bpm"] == 96.0
    melody_ch = [e["ch"] for e in evs if e["type"] == "Marker" and e["text"].startswith("Melody")][0]
    melody = [n for n in notes(evs) if n["ch"] == melody_ch]
    assert melody and all(62 <= n["key"] <= 79 for n in melody)  # register used
    programs = {e["program"] for e in evs if e["type"] == "ProgramChange"}
    assert programs & {80, 81}  # synth_lead / square_lead


def test_extends_merges_layers_by_name_and_can_remove_one(tmp_path):
    pack = tmp_path / "p.toml"
    pack.write_text('[[moods]]\nname = "quiet-jazz"\nextends = "jazz"\ntempo = 100\n'
                    '[moods.layers.melody]\nenabled = false\n[moods.layers.piano]\ndensity = 0.2\n')
    mood = Library([str(pack)]).resolve("quiet-jazz")
    assert mood["tempo"] == 100 and "melody" not in mood["layers"]
    assert mood["layers"]["piano"]["density"] == 0.2
    assert mood["layers"]["piano"]["instruments"] == ["piano", "electric-piano"]
    assert merge({"a": 1, "dynamics": {"x": 1}}, {"dynamics": {"y": 2}}) == {"a": 1, "dynamics": {"x": 1, "y": 2}}


@pytest.mark.parametrize("body, message", [
    ('[[moods]]\nname = "bad"\n[moods.layers.x]\nch = 16\n', 'mood "bad", layers.x.ch: 16 is out of range 0..15'),
    ('[[moods]]\nname = "bad"\ntempo = "fast"\n', 'mood "bad", tempo: \'fast\' should be'),
    ('[[moods]]\nname = "bad"\ncolour = 1\n', 'mood "bad", colour: unknown field'),
    ('[[moods]]\nname = "bad"\n[moods.layers.x]\ninstruments = ["kazoo"]\n', "unknown instrument 'kazoo'"),
    ('[[moods]]\nname = "bad"\nkey = "H"\n', 'mood "bad", key:'),
    ('[[moods]]\nname = "bad"\nextends = "nothing"\n', 'mood "bad", extends: no mood "nothing"'),
    ('[[moods]]\nname = "bad"\nextends = "bad2"\n[[moods]]\nname = "bad2"\nextends = "bad"\n', "a cycle"),
    ('[[moods]\nname = "bad"\n', "not valid TOML"),
])
def test_broken_packs_name_file_mood_and_field(tmp_path, body, message):
    pack = tmp_path / "broken.toml"
    pack.write_text('[[moods]]\nname = "fine"\nextends = "calm"\n' + body)
    proc = sh(f"mood bad --pack {pack} --seed 1", check=False)
    err = proc.stderr.decode()
    assert proc.returncode in (65, 2) and str(pack) in err and len(err.splitlines()) == 1, err
    assert message in err or "not valid TOML" in message and "not valid TOML" in err, err


def test_one_bad_pack_never_hides_the_others(tmp_path):
    folder = tmp_path / "moods"
    folder.mkdir()
    (folder / "a.toml").write_text('[[moods]]\nname = "ok-one"\nextends = "calm"\n')
    (folder / "b.toml").write_text('[[moods]]\nname = "broken-one"\nintensity = 500\n'
                                   '[[moods]]\nname = "ok-two"\nextends = "lofi"\n')
    env = {"MUSICPIPE_MOODS": str(folder)}
    listing = sh("mood --list --json", env=env)
    data = orjson.loads(listing.stdout)
    names = {m["name"] for m in data["moods"]}
    assert {"ok-one", "ok-two", "calm"} <= names and "broken-one" not in names
    assert any("intensity: 500 is out of range 0..100" in e for e in data["errors"])
    assert sh("mood ok-two --duration 1 --seed 1", env=env).stdout
    proc = sh("mood broken-one --seed 1", env=env, check=False)
    assert proc.returncode == 65 and b"b.toml" in proc.stderr


def test_user_config_folder_is_read(tmp_path):
    folder = tmp_path / "musicpipe" / "moods"
    folder.mkdir(parents=True)
    (folder / "mine.toml").write_text('[[moods]]\nname = "mine"\nextends = "ambient"\ntempo = 50\n')
    out = sh("mood mine --duration 4.8 --seed 1", env={"XDG_CONFIG_HOME": str(tmp_path)}).stdout  # a bar
    assert events(out)[1] == {"type": "Tempo", "t": 0, "bpm": 50.0}


def test_list_json_and_show_for_agents():
    data = orjson.loads(sh("mood --list --json").stdout)
    jazz = [m for m in data["moods"] if m["name"] == "jazz"][0]
    assert jazz["tempo"] == 132 and jazz["key"] == "Bb" and jazz["source"] == "built-in"
    assert {layer["generator"] for layer in jazz["layers"]} >= {"bass", "chords", "euclid"}
    shown = sh("mood --show heroic").stdout.decode()
    assert 'name = "heroic"' in shown and "extends" not in shown and 'name = "strings"' in shown
    assert '[[moods.transforms]]\nstage = "scale"' in shown  # the defaults, made explicit
    reloaded = load_pack("shown.toml", "test", shown)
    assert reloaded.errors == [] and reloaded.moods["heroic"]["tempo"] == 112
    lib = Library()
    assert arrange(reloaded.moods["heroic"], seconds=3, key=(0, "major"), seed=4) == arrange(
        lib.resolve("heroic"), seconds=3, key=(0, "major"), seed=4)
    text = sh("mood --list").stdout.decode()
    assert "#jazz #swing" in text and "(built-in)" in text
    help_text = sh("mood --help").stdout.decode()
    assert "For AI agents" in help_text and "For moods:" in help_text and "printed on stderr" in help_text


def test_unknown_mood_suggests_close_names():
    proc = sh("mood jaz --seed 1", check=False)
    assert proc.returncode == 2 and b"did you mean jazz" in proc.stderr
    assert sh("mood --seed 1", check=False).returncode == 2


def test_the_format_reference_is_generated_from_the_schema():
    from musicpipe.moods.packs import reference_markdown

    assert reference_markdown().strip() in (ROOT / "docs" / "moods.md").read_text()


def pack_library(tmp_path, text, name="p.toml"):
    pack = tmp_path / name
    pack.write_text(text)
    return Library([str(pack)]), pack


def test_layers_as_an_array_of_tables_with_harmony_as_text(tmp_path):
    lib, _ = pack_library(tmp_path, '''
[[moods]]
name = "plain"
tempo = 90
key = "G"
harmony = ["I", "IV", "V", "I"]
bars_per_chord = 2
[[moods.layers]]
name = "low"
generator = "bass"
register = { base = "G1", range = 12 }
instrument = "tuba"
[[moods.layers]]
name = "tune"
generator = "motif"
octave = 5
instrument = 73
''')
    mood = lib.resolve("plain")
    assert list(mood["layers"]) == ["low", "tune"]
    assert mood["harmony"] == {"progression": "I IV V I", "bars_per_chord": 2}
    evs = arrange(mood, seconds=16 * 60 / 90, key=(7, "major"), seed=1)  # 4 bars
    low = [n for n in notes(evs) if n["ch"] == 0]
    # G1 under I (its second bar may move to the fifth), the cadence's D2 (V, where IV
    # stood), G1 to the end
    chords = [e["name"] for e in evs if e["type"] == "Chord"]
    assert chords == ["G", "D", "G"]
    on = {(n["t"] + 60) // 1920: n["key"] for n in low}
    assert on[0] == 31 and on[2] == 38 and on[3] == 31 and on[1] in (31, 35, 38)
    assert low[-1]["t"] == 5760 and 480 <= low[-1]["dur"] < 1920  # let go before the end
    assert evs[-1] == {"type": "End", "t": 7680}
    tune = [n["key"] for n in notes(evs) if n["ch"] == 1]
    assert tune and min(tune) >= 72 - 2  # from C5 (humanize never moves keys; snap at most 2)
    assert {e["program"] for e in evs if e["type"] == "ProgramChange"} == {58, 73}


def test_transforms_snap_the_chosen_layers_to_the_scale_then_humanize(tmp_path):
    body = '''
[[moods]]
name = "chromatic"
key = "C"
[[moods.layers]]
name = "line"
generator = "seq"
notes = "C#4/4 D#4/4 F#4/4 G#4/4"
[[moods.layers]]
name = "chords"
generator = "seq"
notes = "C#3/1"
'''
    lib, _ = pack_library(tmp_path, body + '[[moods.transforms]]\nstage = "humanize"\ntiming = 0\nvelocity = 0\n')
    raw = arrange(lib.resolve("chromatic"), seconds=6, key=(0, "major"), seed=1)
    assert {n["key"] for n in notes(raw)} == {61, 63, 66, 68, 49}  # no snap asked for
    lib, _ = pack_library(tmp_path, body)  # default: scale (motif and seq layers), humanize
    snapped = arrange(lib.resolve("chromatic"), seconds=6, key=(0, "major"), seed=1)
    assert {n["key"] for n in notes(snapped)} == {60, 62, 65, 67, 48}
    # humanized: the body (the final chord stays on its bar line)
    assert [n["t"] for n in notes(snapped)] != [n["t"] for n in notes(raw)]
    lib, _ = pack_library(tmp_path, body + '[[moods.transforms]]\nstage = "scale"\nscale = "blues"\n'
                          'snap = "up"\nlayers = ["line"]\n')
    blues = arrange(lib.resolve("chromatic"), seconds=6, key=(0, "major"), seed=1)
    assert {n["key"] for n in notes(blues) if n["ch"] == 0} == {63, 66, 70}  # C blues, upwards
    assert {n["key"] for n in notes(blues) if n["ch"] == 1} == {49}  # not listed: untouched
    assert blues[-1] == {"type": "End", "t": 6 * 100 * 8}


@pytest.mark.parametrize("body, message", [
    ('[[moods]]\nname = "bad"\nextends = "calm"\n[[moods.layers]]\nname = "a"\n[[moods.layers]]\n'
     'name = "b"\n[[moods.layers]]\nname = "c"\nch = 16\n', 'mood "bad", layers[2].ch: 16 is out of range 0..15'),
    ('[[moods]]\nname = "bad"\nextends = "calm"\n[[moods.layers]]\ngenerator = "motif"\n',
     'mood "bad", layers[0].name: every layer needs a name'),
    ('[[moods]]\nname = "bad"\nextends = "calm"\n[[moods.layers]]\nname = "x"\ngenerator = "kazoo"\n',
     "layers[0].generator: 'kazoo' is not one of motif, euclid, seq, chords, bass, arp"),
    ('[[moods]]\nname = "bad"\nextends = "calm"\n[[moods.transforms]]\nstage = "reverb"\n',
     "transforms[0].stage: 'reverb' is not one of scale, humanize"),
    ('[[moods]]\nname = "bad"\nextends = "calm"\n[[moods.transforms]]\nstage = "scale"\ntiming = 3\n',
     "transforms[0].timing: unknown field"),
    ('[[moods]]\nname = "bad"\nextends = "calm"\n[[moods.transforms]]\nstage = "humanize"\n'
     'layers = ["drums"]\n', "transforms[0].layers: no layer 'drums' (layers: melody, pad, bass)"),
    ('[[moods]]\nname = "bad"\nextends = "calm"\n[moods.layers.pad]\nregister = { base = "H9" }\n',
     "layers.pad.register.base: not a note: 'H9'"),
    ('[[moods]]\nname = "bad"\ntempo = 80\n', 'mood "bad", layers: none (give layers, or extends / base_mood)'),
])
def test_broken_layers_and_transforms_name_the_field(tmp_path, body, message):
    pack = tmp_path / "broken.toml"
    pack.write_text(body)
    proc = sh(f"mood bad --pack {pack} --seed 1", check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 65 and len(err.splitlines()) == 1, err
    assert err.startswith(f"mood: {pack}: ") and message in err, err


# The electronic pack from midi-cli-rs's plugin documentation, as it is.
MIDI_CLI_RS_PACK = '''
[pack]
name = "electronic"
version = "1.1.0"
author = "midi-cli-rs"
description = "Electronic and synth-based moods"

[[moods]]
name = "synthwave"
base_mood = "upbeat"
default_key = "Am"
default_tempo = 118
default_intensity = 65
description = "80s inspired synthwave with arpeggios and bass"
tags = ["electronic", "synthwave", "retro", "80s"]

[[moods]]
name = "chillout"
base_mood = "ambient"
default_key = "Em"
default_tempo = 85
default_intensity = 40
description = "Relaxed downtempo electronic"
tags = ["electronic", "chill", "downtempo"]

[[moods]]
name = "8bit"
base_mood = "chiptune"
default_key = "C"
default_tempo = 140
default_intensity = 70
description = "Retro 8-bit video game style"
tags = ["electronic", "8bit", "chiptune", "retro", "game"]
'''


def test_a_midi_cli_rs_pack_uses_every_field(tmp_path):
    pack = tmp_path / "electronic.toml"
    pack.write_text(MIDI_CLI_RS_PACK)
    data = orjson.loads(sh(f"mood --list --json --pack {pack}").stdout)
    assert data["errors"] == []
    rows = {m["name"]: m for m in data["moods"]}
    assert rows["synthwave"]["source"] == f"--pack {pack}"  # replaces the built-in synthwave
    assert (rows["chillout"]["tempo"], rows["chillout"]["key"], rows["chillout"]["intensity"]) == (85, "Em", 40)
    assert rows["chillout"]["description"] == "Relaxed downtempo electronic"
    assert rows["chillout"]["tags"] == ["electronic", "chill", "downtempo"]
    assert [layer["name"] for layer in rows["8bit"]["layers"]] == ["lead", "arp", "bass", "drums"]
    evs = events(sh(f"mood 8BIT --pack {pack} --bars 2 --seed 2").stdout)  # names ignore case
    assert evs[1]["bpm"] == 140.0
    synth = events(sh(f"mood synthwave --pack {pack} --bars 2 --seed 2").stdout)
    upbeat = events(sh("mood upbeat --key Am --tempo 118 --intensity 65 --bars 2 --seed 2").stdout)
    # base_mood + the three defaults, nothing else: upbeat's tempo, key and layers; the
    # mood's own name goes into the seed's derivation, so its tune (and instrument picks)
    # are its own
    def head(evs):
        return [e for e in evs if e["type"] in ("Tempo", "KeySig")] + [
            (e["ch"], e["text"].split(" (")[0]) for e in evs if e["type"] == "Marker"]

    assert head(synth) == head(upbeat)
    assert notes(synth) != notes(upbeat)


def test_native_plugin_pack_loads_and_its_mood_without_layers_is_reported(tmp_path):
    pack = tmp_path / "euclidean.toml"
    pack.write_text('[pack]\nname = "euclidean"\nversion = "1.0.0"\n\n[pack.native]\n'
                    'library = "libeuclidean_mood_plugin"\nhot_reload = false\n\n[[moods]]\n'
                    'name = "euclidean"\ndescription = "Polyrhythms"\ndefault_key = "Am"\n'
                    'default_tempo = 100\ntags = ["algorithmic"]\n')
    listing = sh("mood --list", env={"MUSICPIPE_MOODS": str(pack)})
    assert b"calm" in listing.stdout and b"euclidean" in listing.stdout and b"broken" in listing.stdout
    proc = sh("mood euclidean --seed 1", env={"MUSICPIPE_MOODS": str(pack)}, check=False)
    assert proc.returncode == 65 and b'mood "euclidean", layers: none' in proc.stderr


def test_a_pack_mood_extending_its_own_name_changes_the_built_in(tmp_path):
    pack = tmp_path / "mine.toml"
    pack.write_text('[[moods]]\nname = "jazz"\nextends = "jazz"\ntempo = 100\n'
                    '[moods.layers.melody]\nenabled = false\n')
    mood = Library([str(pack)]).resolve("jazz")
    assert mood["tempo"] == 100 and list(mood["layers"]) == ["bass", "piano", "drums"]
    pack.write_text('[[moods]]\nname = "a"\nextends = "b"\n[[moods]]\nname = "b"\nextends = "a"\n')
    with pytest.raises(PackError, match="a cycle"):
        Library([str(pack)]).resolve("a")


def test_stdin_is_never_read_and_a_random_seed_is_announced():
    proc = sh("mood calm --duration 1 < /dev/zero", timeout=30)
    seed = events(proc.stdout)[0]["seed"]
    assert f"--seed {seed}" in proc.stderr.decode()
    piped = sh("mood calm --duration 1 --seed 3", input=b'{"type":"Note"}\n').stdout
    assert piped == sh("mood calm --duration 1 --seed 3").stdout


# Pinned outputs: a change to the engine, a transform, euclid or a built-in mood shows up
# here, the melody included.
GOLDEN = {
    "mood synthwave --duration 4 --seed 7 --intensity 40":
        "ee26b22342533e844ed8d6c9049a3706c752080c1043321e8308b8a78b0cb0bd",
    "mood jazz --duration 4 --seed 7 --key F#m --tempo 100 --intensity 30":
        "62d6bb1d8d1632b9312afe2a8a063b01df93e48de644f4e8584a1b7d8be1855d",
    "mood calm --duration 20 --seed 7": "a6334f32aebe0cd2a8c4726ae24fc2b5010122db304ee91a83f43de34d9993c3",
}


@pytest.mark.parametrize("cmd", GOLDEN)
def test_golden_streams(cmd):
    import hashlib

    assert hashlib.sha256(sh(cmd).stdout).hexdigest() == GOLDEN[cmd]


def test_the_stream_needs_no_midi_or_audio_library_and_head_closes_it_quietly(tmp_path):
    from tests.conftest import BIN

    proc = sh(f"{BIN}/python -X importtime {BIN}/mood jazz --duration 2 --seed 1")
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0]
                for line in proc.stderr.decode().splitlines() if line.startswith("import time:")}
    assert imported & {"orjson"} and not imported & {"mido", "numpy", "fluidsynth"}
    proc = sh(f"mood jazz --duration 600 --seed 1 2>{tmp_path}/err | head -1; "
              f'echo "${{PIPESTATUS[0]}}" > {tmp_path}/rc')
    assert proc.stdout == b'{"type":"Seed","seed":1}\n'
    assert (tmp_path / "err").read_text() == "" and (tmp_path / "rc").read_text().strip() == "0"
