"""What the MCP server teaches an agent through the protocol: its resources (the reference
pages of ``musicpipe.reference``, each at ``musicpipe://docs/TOPIC``) and its prompts (task
templates for the common jobs). Plain data and text: the server turns them into protocol
objects, and a test can read them without a server.
"""

from __future__ import annotations

from . import reference

SCHEME = "musicpipe://docs/"


def resources() -> list[dict]:
    """Every reference page as (uri, name, description, mime)."""
    rows = []
    for topic, about in reference.TOPICS.items():
        mime = "application/schema+json" if topic.endswith("schema") else "text/markdown"
        rows.append({"uri": SCHEME + topic, "name": topic, "description": about, "mime": mime})
    return rows


def read(uri: str) -> tuple[str, str]:
    """(MIME type, text) of a resource; KeyError names the resources there are."""
    topic = uri.removeprefix(SCHEME) if uri.startswith(SCHEME) else None
    if topic not in reference.TOPICS:
        raise KeyError(f"uri: no resource {uri[:200]!r}; resources: "
                       + ", ".join(SCHEME + t for t in reference.TOPICS))
    return reference.page(topic)


class Prompt:
    __slots__ = ("name", "description", "arguments", "template")

    def __init__(self, name: str, description: str, arguments: dict[str, tuple[str, bool]],
                 template: str):
        self.name, self.description, self.template = name, description, template
        self.arguments = arguments  # name -> (description, required)


PROMPTS = {p.name: p for p in (
    Prompt("score-scene", "Score a scene from a plan: sections of moods on a timeline, one seed, "
           "ending exactly on time.",
           {"scene": ("what happens in the scene, beat by beat", True),
            "seconds": ("the scene's length in seconds", True),
            "moods": ("moods to draw on (list_moods), or empty to choose", False)},
           """Score this scene for me: {scene}
It lasts exactly {seconds} seconds. Moods to draw on: {moods}.

Work like this, checking each step's answer before the next:
1. Read musicpipe://docs/score (the score plan format; compose_score's input schema is the
   plan's) and musicpipe://docs/moods (or call list_moods).
2. Write the plan as JSON: a region per turn of the scene (mood, at, intensity keyframes that
   follow the drama), hits at the moments the music must mark, duration {seconds}, one seed.
3. Call check_score with it and read the fitted timeline: each region's bars, tempo asked and
   fitted, and where each hit lands (on the beat or not). A refusal is one line naming the
   field to fix (`region[2].at: ...`); fix it and check again.
4. Call compose_score with the plan and out "scene.mid", then again with out "scene.wav"
   (the same seed gives the same music): the audio lasts exactly {seconds} seconds.
5. Check scene.mid with analyze; adjust intensities, moods or hits where the music does not
   turn when the scene does."""),
    Prompt("game-loop", "A loop for a game level: a piece whose end flows back into its start.",
           {"level": ("the level: place, pace, danger", True),
            "bars": ("how many bars the loop lasts (8, 16, 32)", False)},
           """Make background music for this game level: {level}
It must loop seamlessly: {bars} bars, the last bar leading back into the first.

1. Read musicpipe://docs/moods (or call list_moods) and pick the mood that fits; describe("mood")
   explains its bars and loop options.
2. Call compose_mood with that mood, bars {bars}, loop true, a seed and out "level.wav": whole
   bars at the mood's tempo (give tempo for another pace), no final chord or fade, the reverb
   tail folded into the start, and a smpl loop chunk that game engines and samplers read.
3. Call it again with out "level.mid" (loopStart/loopEnd markers on its conductor track) and
   check the seam: analyze with midi "level.mid" (its ending should be open, no final
   cadence), and run_pipeline `from-midi level.mid | loop --times 2 | to-wav --out
   level-twice.wav` to hear the join: it must not jump in loudness or stop the pulse.
4. Give the engine level.wav (or level.mid), and say which mood, seed and tempo you used."""),
    Prompt("lead-sheet", "A lead sheet from chords: the chords as a keys part and a melody "
           "over them, written with write_notes.",
           {"chords": ("the progression, one chord a bar: Am F C G", True),
            "key": ("the key: C, A minor, D dorian", False),
            "tempo": ("beats per minute", False)},
           """Write a lead sheet over these chords, one chord a bar: {chords}
Key {key}, tempo {tempo}.

1. Read musicpipe://docs/notes (notes as JSON) and musicpipe://docs/notes-schema.
2. Call write_notes with two tracks: "Chords" (piano) holding each chord symbol for a bar
   ({{"pitch": "Am", "start": "1:1", "length": {{"bars": 1}}}}) and "Melody" (flute or voice)
   with a singable line in the key: chord tones on strong beats, steps between, a rest or a
   long note at the end of every second bar, and the last note on the tonic.
3. Open the file with edit_open, list its notes bar by bar (edit_notes), and fix what does not
   fit the chord under it (edit_transpose, edit_move, edit_delete, edit_insert); edit_undo what
   you regret.
4. edit_save to a new name and render it; call analyze and make sure the key it hears is
   {key}."""),
)}


def prompt(name: str, arguments: dict[str, str] | None) -> str:
    """The text of a prompt with its arguments filled in (defaults for the optional ones);
    KeyError names a missing argument or an unknown prompt."""
    p = PROMPTS.get(name)
    if p is None:
        raise KeyError(f"name: no prompt {name[:100]!r}; prompts: {', '.join(PROMPTS)}")
    given = dict(arguments or {})
    unknown = sorted(set(given) - set(p.arguments))
    if unknown:
        raise KeyError(f"{unknown[0]}: not an argument of {name} (arguments: "
                       f"{', '.join(p.arguments)})")
    defaults = {"moods": "any", "bars": "16", "key": "C major", "tempo": "100"}
    values = {}
    for arg, (_, required) in p.arguments.items():
        value = str(given.get(arg, "")).strip()[:2000]
        if not value:
            if required:
                raise KeyError(f"{arg}: {name} needs it ({p.arguments[arg][0]})")
            value = defaults[arg]
        values[arg] = value
    return p.template.format(**values)
