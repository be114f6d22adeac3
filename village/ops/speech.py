"""Speech made on the node, offline: Debian's espeak-ng run as a subprocess, its WAV cached on disk.

Only text the node already holds is spoken (a notice, a ticket, a known label): callers build
the text, never a browser. The cache lives in the node's data directory (dir 0700, files 0600),
one file per sha256(engine version, voice, text), so a second request never runs the engine.
"""
import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from village.filemodes import make_private_dir

# The espeak-ng voice of each language. Mandarin is "cmn-latn-pinyin": espeak-ng 1.51's plain "cmn"
# reads the pinyin of its dictionary with English letter sounds.
VOICES = {"zh_Hans": "cmn-latn-pinyin", "ug": "ug", "en": "en"}
CACHE_FOLDER = "speech"  # inside the node's data directory
MAX_CHARS = 1500  # longer text is cut: a notice's first minutes are what a resident waits for
TIMEOUT_SECONDS = 20
MAX_CACHED_FILES = 3000  # the oldest are removed beyond this: old notices must not fill a Pi's card
VERSION_TIMEOUT_SECONDS = 5


class SpeechUnavailable(Exception):
    """The speech engine is not installed, has no voice for the language, or failed."""


@dataclass
class Engine:
    """The espeak-ng command of a node and the folder its audio is cached in."""

    command: str
    cache_dir: Path
    _version: str = field(default="", init=False, repr=False)

    def executable(self):
        """Return the engine's full path, or None when it is not installed (or switched off with "")."""
        return shutil.which(self.command) if self.command else None

    def version(self):
        """Return the engine's version line (looked up once per Engine), or "" when there is none."""
        if not self._version:
            exe = self.executable()
            if exe is None:
                return ""
            try:
                done = subprocess.run([exe, "--version"], capture_output=True, timeout=VERSION_TIMEOUT_SECONDS,
                                      check=True)
            except (OSError, subprocess.SubprocessError):
                return ""
            # Only the first line: the rest names the data folder, which differs between machines.
            self._version = done.stdout.decode("utf-8", "replace").strip().split("\n")[0]
        return self._version

    def available(self):
        """Return True when the engine runs here (a node without it shows no speaker buttons)."""
        return bool(self.version())

    def cache_path(self, lang, text):
        """Return the cache file of `text` spoken in `lang` (it may not exist yet)."""
        key = "\x00".join((self.version(), VOICES[lang], prepare(text)))
        return Path(self.cache_dir) / (hashlib.sha256(key.encode("utf-8")).hexdigest() + ".wav")

    def speak(self, lang, text):
        """Return the path of a WAV file of `text` spoken in `lang`, made now or found in the cache."""
        if lang not in VOICES or not self.available():
            raise SpeechUnavailable(lang)
        path = self.cache_path(lang, text)
        if path.exists():
            return path
        audio = self._synthesize(VOICES[lang], prepare(text))
        _store(path, audio)
        prune(path.parent, MAX_CACHED_FILES)
        return path

    def _synthesize(self, voice, text):
        # No shell, and the text goes on stdin: a text starting with "-" is never read as an option.
        try:
            done = subprocess.run([self.executable(), "-v", voice, "--stdout"], input=text.encode("utf-8"),
                                  capture_output=True, timeout=TIMEOUT_SECONDS, check=True)
        except (OSError, subprocess.SubprocessError) as exc:
            raise SpeechUnavailable(str(exc)) from exc
        if not done.stdout.startswith(b"RIFF"):
            raise SpeechUnavailable("the engine gave no audio")
        return fix_wav_sizes(done.stdout)


def prepare(text):
    """Return `text` as the engine gets it: whitespace folded, at most MAX_CHARS characters."""
    return " ".join(str(text).split())[:MAX_CHARS]


def fix_wav_sizes(audio):
    """Return `audio` with the RIFF and data sizes filled in (espeak-ng --stdout leaves them unknown)."""
    data = audio.find(b"data", 12)
    if data < 0:
        raise SpeechUnavailable("the engine gave no audio")
    out = bytearray(audio)
    out[4:8] = (len(audio) - 8).to_bytes(4, "little")
    out[data + 4:data + 8] = (len(audio) - data - 8).to_bytes(4, "little")
    return bytes(out)


def _store(path, audio):
    """Write `audio` to `path` whole or not at all; two writers of one text never mix their bytes."""
    folder = make_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")  # mkstemp makes it 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(audio)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def prune(folder, keep):
    """Remove the least recently made audio files of `folder` beyond the newest `keep`."""
    try:
        entries = [e for e in os.scandir(folder) if e.name.endswith(".wav")]
    except OSError:
        return
    if len(entries) <= keep:
        return
    entries.sort(key=lambda e: e.stat().st_mtime, reverse=True)
    for entry in entries[keep:]:
        Path(entry.path).unlink(missing_ok=True)


def node_engine(node):
    """Return the speech engine of `node`: its `speech_engine` setting, cached in its data directory."""
    return Engine(node.setting("speech_engine"), Path(node.data_dir) / CACHE_FOLDER)
