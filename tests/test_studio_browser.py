"""The studio in a real browser: Debian's headless Chromium driven by Playwright's Python
client, against a real `musicpipe serve` process (the ``studio`` fixture in conftest).

Playwright never downloads a browser here: it launches /usr/bin/chromium (bin/setup --test
installs it). Where it cannot be installed these tests are skipped and say so. Screenshots
of the page in light and dark mode go to out/studio-screenshots/ (not committed).
"""

from __future__ import annotations

import io
import os
import wave
import zipfile

import mido
import pytest

from tests.conftest import ROOT, events, sh

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "out" / "studio-screenshots"

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python client is "
                               "not installed (bin/setup --test installs the test extras)")
pytestmark = pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason=(
    f"headless Chromium is not installed at {CHROMIUM} (bin/setup --test installs Debian's "
    "chromium and chromium-driver; as root: apt-get install chromium chromium-driver)"))


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, studio):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(studio.url + "/")
    page.wait_for_selector("#mood-list input[value=calm]")
    yield page
    context.close()
    assert not problems, problems  # no script error on the page


def render_by_keyboard(page, mood: str, seconds: str, seed: str) -> None:
    """Choose the mood with the arrow keys and render with Enter: no mouse needed."""
    page.focus("#mood-list input")
    for _ in range(20):
        if page.evaluate("document.activeElement.value") == mood:
            break
        page.keyboard.press("ArrowDown")
    assert page.is_checked(f"#mood-list input[value={mood}]")
    page.fill("#seconds", seconds)
    page.fill("#seed", seed)
    page.focus("#render")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#now-title').textContent.includes('seed %s')" % seed)
    page.wait_for_selector("#roll svg .playhead", state="attached")


def test_render_a_mood_hear_it_see_it_download_it(page, studio, tmp_path):
    render_by_keyboard(page, "calm", "4", "3")
    assert page.text_content("#mood-about").count("Tempo") == 1
    # the audio element has a playable WAV of the right length
    page.wait_for_function("() => document.querySelector('#audio').readyState >= 3")
    assert page.evaluate("document.querySelector('#audio').duration") == pytest.approx(4.0, abs=0.005)
    src = page.get_attribute("#audio", "src")
    with wave.open(io.BytesIO(page.request.get(studio.url + src).body())) as w:
        assert (w.getnframes(), w.getframerate(), w.getnchannels()) == (4 * 44100, 44100, 2)
    # it plays, and the playhead follows it
    start_x = float(page.get_attribute("#roll .playhead", "x1"))
    page.evaluate("const a = document.querySelector('#audio'); a.muted = true; a.play()")
    page.wait_for_function("() => document.querySelector('#audio').currentTime > 0.5")
    page.evaluate("document.querySelector('#audio').pause()")
    at = page.evaluate("document.querySelector('#audio').currentTime")
    x = float(page.get_attribute("#roll .playhead", "x1"))
    assert x > start_x
    assert x == pytest.approx(44 + at / 4.0 * (4 * 72 / 60 * 480 * 0.1), abs=6)  # 72 BPM calm
    # the SVG shows every track, in its colour, with the legend and the list beside it
    stream = sh("mood calm --duration 4 --seed 3").stdout
    channels = sorted({e["ch"] for e in events(stream) if e["type"] == "Note"})
    drawn = page.eval_on_selector_all("#roll svg rect.note", "rs => rs.map(r => +r.dataset.ch)")
    assert sorted(set(drawn)) == channels
    assert len(drawn) == sum(1 for e in events(stream) if e["type"] == "Note")
    assert page.eval_on_selector_all("#roll svg rect.legend", "rs => rs.map(r => +r.dataset.ch)") == channels
    assert page.eval_on_selector_all("#tracks li", "ls => ls.map(l => +l.dataset.ch)") == channels
    assert "Melody" in page.text_content("#tracks")
    # the .mid download is the shell's file and mido reads it
    with page.expect_download() as download:
        page.click("#downloads a[data-kind=mid]")
    assert download.value.suggested_filename == "calm-3.mid"
    saved = tmp_path / "calm-3.mid"
    download.value.save_as(saved)
    midi = mido.MidiFile(saved)
    names = [m.name for t in midi.tracks for m in t if m.type == "track_name"]
    assert any("Melody" in n for n in names) and midi.length == pytest.approx(4.0, abs=0.01)
    sh(f"mood calm --duration 4 --seed 3 --out {tmp_path}/shell.mid")
    assert saved.read_bytes() == (tmp_path / "shell.mid").read_bytes()
    # stems on request: a .zip of one WAV per track and the mix
    page.click("#downloads button[data-kind=stems]")
    link = page.wait_for_selector("#downloads a[data-kind=zip]")
    packed = page.request.get(studio.url + link.get_attribute("href")).body()
    with zipfile.ZipFile(io.BytesIO(packed)) as z:
        assert "mix.wav" in z.namelist() and len(z.namelist()) == len(channels) + 1


def test_a_loop_of_bars_from_the_form(page, studio, tmp_path):
    """Bars with the duration left empty and Loop on: the shell's `mood --bars --loop` WAV,
    smpl chunk and all, plays for what the bars last."""
    from tests.test_mood_loop import smpl_loop

    page.check("#mood-list input[value=calm]")
    page.fill("#seconds", "")
    page.fill("#bars", "2")
    page.check("#loop")
    page.fill("#seed", "5")
    page.click("#render")
    page.wait_for_function("() => document.querySelector('#now-title').textContent.endsWith("
                           "'seed 5 · 6.667 s · 2 bars · loop')")
    got = tmp_path / "got.wav"
    got.write_bytes(page.request.get(studio.url + page.get_attribute("#audio", "src")).body())
    sh(f"mood calm --bars 2 --seed 5 --loop --out {tmp_path}/shell.wav")
    assert got.read_bytes() == (tmp_path / "shell.wav").read_bytes()
    with wave.open(str(got)) as w:
        frames = w.getnframes()
    assert frames == round(2 * 4 * 60 / 72 * 44100) and smpl_loop(got) == (0, frames - 1)
    page.wait_for_function("() => document.querySelector('#audio').readyState >= 1")
    assert page.evaluate("document.querySelector('#audio').duration") == pytest.approx(
        frames / 44100, abs=0.005)


def test_a_pipeline_error_shows_beside_its_stage(page):
    page.fill("#pipeline-text", "seed 7 | motif --notes 0 | humanize")
    page.click("#pipeline-run")
    failed = page.wait_for_selector("#stages li.failed")
    assert failed.query_selector("code").text_content() == "motif --notes 0"
    assert failed.query_selector(".stage-error").text_content().startswith(
        "motif: Invalid value for '--notes': 0 is not in the range")
    assert page.eval_on_selector_all("#stages li", "ls => ls.map(l => l.className)") == [
        "ok", "failed", "skipped"]
    # a text error (no stage to blame) shows under the box; a good one plays
    page.fill("#pipeline-text", "seed 1 | motif > x.jsonl")
    page.click("#pipeline-run")
    page.wait_for_selector("#pipeline-error:not([hidden])")
    assert "'>' is not supported" in page.text_content("#pipeline-error")
    page.fill("#pipeline-text", "seed 7 | motif --notes 16 | scale --root D --mode dorian | humanize")
    page.focus("#pipeline-text")
    page.keyboard.press("Control+Enter")
    page.wait_for_function("() => document.querySelectorAll('#stages li.ok').length === 4")
    page.wait_for_function("() => document.querySelector('#now-title').textContent.startsWith('seed 7')")
    assert page.is_hidden("#pipeline-error")


def test_history_compares_two_seeds(page):
    for seed in ("11", "12"):
        render_by_keyboard(page, "lofi", "3", seed)
    rows = page.query_selector_all("#history-rows tr")
    assert len(rows) == 2
    page.check("#history-rows tr:nth-child(1) input[name=ab-a]")
    page.check("#history-rows tr:nth-child(2) input[name=ab-b]")
    page.wait_for_selector("#compare:not([hidden])")
    a_src, b_src = page.get_attribute("#side-a audio", "src"), page.get_attribute("#side-b audio", "src")
    assert a_src != b_src and "lofi-11" in a_src and "lofi-12" in b_src
    page.wait_for_selector("#side-a .roll svg rect.note")
    page.wait_for_selector("#side-b .roll svg rect.note")
    page.evaluate("document.querySelectorAll('#compare audio').forEach(a => a.muted = true)")
    page.click("#ab-switch")
    page.wait_for_function("() => !document.querySelector('#side-a audio').paused")
    page.click("#ab-switch")
    page.wait_for_function("() => !document.querySelector('#side-b audio').paused")
    assert page.evaluate("document.querySelector('#side-a audio').paused")
    assert page.text_content("#ab-playing") == "Playing B"
    # re-open the first render in the main player
    page.click("#history-rows tr:nth-child(1) button")
    page.wait_for_function("() => document.querySelector('#now-title').textContent.includes('seed 11')")


def test_a_pack_error_shows_its_field_path(page, studio):
    page.select_option("#pack-from", "calm")
    page.click("#pack-load")
    page.wait_for_selector("#pack-ok:not([hidden])")
    toml = page.input_value("#pack-text")
    assert toml == sh("mood --show calm").stdout.decode()
    bad = toml.replace('name = "calm"', 'name = "calm-fast"').replace("tempo = 72", "tempo = 999")
    page.fill("#pack-text", bad)
    page.wait_for_selector("#pack-errors .field-path")
    assert page.text_content("#pack-errors .field-path") == "tempo"
    assert "tempo: 999 is out of range 20..400" in page.text_content("#pack-errors li")
    assert page.is_disabled("#pack-save")
    assert page.get_attribute("#pack-text", "aria-invalid") == "true"
    layer = bad.replace("tempo = 999", "tempo = 140").replace("density = ", "density = 7 #", 1)
    page.fill("#pack-text", layer)
    page.wait_for_function("() => document.querySelector('#pack-errors .field-path')?.textContent"
                           ".startsWith('layers[0].')")
    page.fill("#pack-text", bad.replace("tempo = 999", "tempo = 140"))
    page.wait_for_selector("#pack-ok:not([hidden])")
    page.fill("#pack-name", "browser-test")
    page.wait_for_function("() => !document.querySelector('#pack-save').disabled")
    page.click("#pack-save")
    page.wait_for_function("() => document.querySelector('#pack-status').textContent.startsWith('Saved')")
    saved = studio.config / "musicpipe" / "moods" / "browser-test.toml"
    assert saved.read_text() == bad.replace("tempo = 999", "tempo = 140")
    page.wait_for_selector("#mood-list input[value=calm-fast]")
    assert "140 BPM" in page.text_content("label[for=mood-calm-fast]")


SHORT_PLAN = """duration = 12
seed = 5

[[region]]
mood = "calm"
at = 0

[[region]]
mood = "suspense"
at = 6
name = "dread"
intensity = [[6, 30], [12, 90]]

[[hit]]
at = 6
kind = "stinger"
"""


def strip_names(page) -> list[str]:
    return page.eval_on_selector_all("#score-strip .region-name", "ts => ts.map(t => t.textContent)")


def test_score_a_plan_see_its_timeline_hear_it(page, studio, tmp_path):
    """The plan editor starts with examples/scene.toml and its strip; an edit redraws the
    strip, a bad one shows its one line, Render plays the plan exactly its duration."""
    assert page.input_value("#score-text") == (ROOT / "examples" / "scene.toml").read_text()
    page.wait_for_function("() => document.querySelectorAll('#score-strip g.region').length === 3")
    assert strip_names(page) == ["calm", "suspense", "finale"]
    assert page.eval_on_selector_all("#score-strip g.hit", "gs => gs.map(g => g.dataset.kind)") == [
        "accent", "stinger"]
    metas = page.eval_on_selector_all("#score-strip .region-meta", "ts => ts.map(t => t.textContent)")
    assert metas[0] == "6 bars · 70.3 BPM · F"  # the fit of `score --check`
    assert page.text_content("#score-summary").startswith("✓ 60 s, 3 regions, 23 bars, 2 hits")
    widths = page.eval_on_selector_all("#score-strip g.region rect", "rs => rs.map(r => +r.getAttribute('width'))")
    assert widths[0] == pytest.approx(widths[1], abs=1)  # 20 s each
    # a bad edit: the one line naming the field, the strip kept but dimmed
    page.fill("#score-text", SHORT_PLAN.replace("at = 6\nname", "at = 16\nname"))
    page.wait_for_selector("#score-error:not([hidden])")
    assert page.text_content("#score-error") == "score: plan: region[1].at: 16 is past duration 12"
    assert page.get_attribute("#score-text", "aria-invalid") == "true"
    assert "stale" in page.get_attribute("#score-strip", "class")
    # fixed: the strip is the new plan's
    page.fill("#score-text", SHORT_PLAN)
    page.wait_for_function("() => document.querySelector('#score-strip .region-name:nth-of-type(1)') &&"
                           " document.querySelectorAll('#score-strip g.region').length === 2")
    assert strip_names(page) == ["calm", "dread"] and page.is_hidden("#score-error")
    assert page.eval_on_selector_all("#score-strip g.hit", "gs => gs.length") == 1
    # render: the player plays it, exactly 12 s; its .mid is the shell's
    page.click("#score-render")
    page.wait_for_function("() => document.querySelector('#now-title').textContent === 'score · seed 5 · 12 s'")
    page.wait_for_function("() => document.querySelector('#audio').readyState >= 3")
    assert page.evaluate("document.querySelector('#audio').duration") == pytest.approx(12.0, abs=0.005)
    page.evaluate("const a = document.querySelector('#audio'); a.muted = true; a.play()")
    page.wait_for_function("() => document.querySelector('#audio').currentTime > 0.3")
    page.evaluate("document.querySelector('#audio').pause()")
    assert page.text_content("#score-status") == "Rendered score · seed 5 · 12 s."
    mid = page.request.get(studio.url + page.get_attribute("#downloads a[data-kind=mid]", "href")).body()
    sh(f"score - --out {tmp_path}/shell.mid", input=SHORT_PLAN)
    assert mid == (tmp_path / "shell.mid").read_bytes()
    # a render error is the same one line
    page.fill("#score-seed", "-1")
    page.click("#score-render")
    page.wait_for_selector("#score-error:not([hidden])")
    assert page.text_content("#score-error").startswith("score: Invalid value for '--seed'")


def test_every_control_has_a_label(page):
    unlabelled = page.evaluate("""[...document.querySelectorAll('input, select, textarea, button')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                     && !e.textContent.trim())
        .map(e => e.outerHTML.slice(0, 80))""")
    assert unlabelled == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots(browser, studio, scheme):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    page.goto(studio.url + "/")
    page.check("#mood-list input[value=jazz]")
    page.fill("#seconds", "6")
    page.fill("#seed", "5")
    page.click("#render")
    page.wait_for_selector("#roll svg .playhead", state="attached")
    page.fill("#pipeline-text", "seed 7 | motif --notes 0 | humanize")
    page.click("#pipeline-run")
    page.wait_for_selector("#stages li.failed")
    page.select_option("#pack-from", "jazz")
    page.click("#pack-load")
    page.wait_for_selector("#pack-ok:not([hidden])")
    page.fill("#pack-text", page.input_value("#pack-text").replace("tempo = 132", "tempo = 1320"))
    page.wait_for_selector("#pack-errors .field-path")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(21, 23, 27)" if scheme == "dark" else "rgb(246, 245, 242)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"studio-{scheme}.png"), full_page=True)
    assert (SHOTS / f"studio-{scheme}.png").stat().st_size > 50_000
    context.close()
