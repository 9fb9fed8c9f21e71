"""faster-whisper (CTranslate2) on segments VAD has already cut: Mandarin and more."""

from __future__ import annotations

import contextvars
import re

import numpy as np

from domain.transcript import Speaker, Utterance, Word
from voice.asr import digits, number_spans
from voice.asr.models import ModelInfo
from voice.asr.normalise import display_text

# Whisper base writes these on noise and trailing silence: the credits and sign-offs of the
# subtitled videos it was trained on, by class (词曲词 after the last words of a call, on
# the dev split). Words a caller or an agent says (谢谢, 再见, 核对, 转告) are not in it.
_HALLUCINATIONS = re.compile(
    r"作词|作曲|编曲|词曲|填词|监制|混音|(?:^|\W)[词曲][:：]"  # a song's credits
    r"|中文字幕|字幕|时间轴|Amara|org社区"  # a subtitler's (社区提供 alone: residents say it)
    r"|谢谢观看|感谢观看|谢谢收看|感谢收看|谢谢收听|感谢收听|谢谢大家观看|下期再见|下期见"
    r"|这次的节目|本期节目|本期视频"  # a video's sign-off
    r"|请不吝|点赞|订阅|打赏|小铃铛|明镜|栏目|独播剧场|YoYo"  # asking for likes
)
# what may be left of a clause before a credit and still be speech: two words' characters
_SPOKEN = re.compile(r"[\u4e00-\u9fff\d]")
# The same 1-4 characters four or more times; digits are left alone (phone numbers repeat).
_LOOP = re.compile(r"([^\d零〇一二三四五六七八九幺两]{1,4}?)\1{3,}")
# Loops ``_LOOP`` leaves, those with digits in them (九十九，九十九，… / 776677667766 on the
# silence after a phone number): any group of 2-6 characters three or more times in a row, or
# one digit seven or more times. A phone number has neither (13999990000 has five nines).
_NUMBER_LOOP = re.compile(r"(.{2,6}?)\1{2,}|(\d)\2{6,}")


# Whisper's encoder always sees a 30 s window: a 4 s utterance is padded with 26 s of
# silence, and encoding that padding was most of the time spent per utterance. The
# CTranslate2 encoder accepts shorter inputs, so the window is cut to the utterance plus
# ``pad_s`` of silence (with no trailing silence at all Whisper loops or cuts the last word;
# 3 s gave the fixtures' best CER). faster-whisper pads inside ``generate_segments`` with its
# module-level ``pad_or_trim``; it is wrapped once, and only calls that set the context
# variable below (ours) get the shorter window.
_window_frames: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "whisper_window_frames", default=None
)


def _install_short_window() -> bool:
    import faster_whisper.transcribe as fwt

    original = getattr(fwt, "pad_or_trim", None)
    if original is None:
        return False  # another faster-whisper layout: keep the 30 s window
    if getattr(original, "_frontdesk_short_window", False):
        return True

    def pad_or_trim(array, length: int = 3000, *, axis: int = -1):
        n = _window_frames.get()
        if n is not None and length == 3000:
            length = min(3000, array.shape[axis] + n)
        return original(array, length, axis=axis)

    pad_or_trim._frontdesk_short_window = True  # type: ignore[attr-defined]
    fwt.pad_or_trim = pad_or_trim
    return True


# The number readings' prompt: how callers give a phone number and a room, in digits.
NUMBER_PROMPT = "以下是普通话的句子。我家是三栋二单元1002，电话号码是13812345678。"
SEED = 0  # the samples' random seed


# A sentence written twice in a row (Whisper base repeats itself on the padding after speech).
_REPEATED_SENTENCE = re.compile(r"([^。！？，,.!?]{4,}[。！？，,.!?])\1+")
# Counting on the silence after a number (…2003。123456777): no mobile number starts 12.
_COUNTING = re.compile(r"^\W*1\W?2\W?3\W?4\W?5\W?6")


def clean(text: str) -> str:
    text = _REPEATED_SENTENCE.sub(r"\1", text)
    text = _LOOP.sub(r"\1", text)
    for _ in range(3):  # a loop cut can leave a shorter one
        text, n = _NUMBER_LOOP.subn(lambda m: m.group(1) or m.group(2) * 4, text)
        if not n:
            break
    parts = re.split(r"(?<=[。！？，,.!?])", text)
    return "".join(_uncredited(p) for p in parts if not _COUNTING.search(p)).strip()


def _uncredited(part: str) -> str:
    """A clause with a credit (词曲词, 字幕由…) cut from where it starts: credits follow the
    speech they are written after (…三零二的词曲词), so what was said before it is kept."""
    m = _HALLUCINATIONS.search(part)
    if m is None:
        return part
    head = part[: m.start()]
    return head if len(_SPOKEN.findall(head)) >= 2 else ""


class WhisperEngine:
    name = "whisper"

    def __init__(
        self,
        info: ModelInfo,
        language: str | None = "zh",
        initial_prompt: str | None = None,
        threads: int = 2,
        beam_size: int = 1,
        pad_s: float | None = 3.0,
        word_timestamps: bool = True,
        without_timestamps: bool = False,
        hotwords: str | None = None,
        # faster-whisper's temperature fallback (0.2, 0.4) where a decode loops or scores low.
        # Dev split: CER 0.197 → 0.185, numbers exact 12 → 13 of 24, +17 % CPU; test split:
        # CER 0.200 either way, +52 % CPU (0.25 → 0.38 CPU s per audio s, over the 0.15 RTF
        # budget on 2 cores). Off.
        fallback: bool = False,
        # An utterance whose phone number or room is not well formed decoded again under a
        # digits prompt: the n beam candidates vote on a well-formed reading
        # (number_spans.pick). Dev split, n=5: phones registered 5 → 6 of 14, numbers exact
        # 14 → 15 of 24, CER 0.179 → 0.178, +16 % CPU. Adding 5 samples (temperature 0.7)
        # doubled the cost and mended the same numbers (seeded; unseeded, one more in 2 of
        # 4 runs); n=3 mended fewer. 0: off.
        number_readings: int = 5,
        # a doubtful phone number also read from its cue on (``_from_cue``)
        from_cue: bool = True,
    ) -> None:
        from faster_whisper import WhisperModel

        self.model = info.name
        self.language = language
        # The prompt biases toward the front desk's words and, for Mandarin, simplified script.
        self.initial_prompt = initial_prompt
        self.hotwords = hotwords
        self.beam_size = beam_size
        # None: the full 30 s window (slow, as faster-whisper does it)
        self.pad_frames = None if pad_s is None or not _install_short_window() else int(pad_s * 100)
        self.word_timestamps = word_timestamps  # the console's replay highlights words
        self.without_timestamps = without_timestamps
        self.temperature = (0.0, 0.2, 0.4) if fallback else 0.0
        self.digit_passes = 0  # how many utterances were decoded again (bench)
        self.number_readings = number_readings
        self.from_cue = from_cue
        self._m = WhisperModel(
            str(info.path), device="cpu", compute_type="int8", cpu_threads=threads
        )

    def transcribe(self, audio: np.ndarray, offset_s: float, speaker: Speaker) -> Utterance | None:
        token = _window_frames.set(self.pad_frames)
        try:
            return self._transcribe(audio, offset_s, speaker)
        finally:
            _window_frames.reset(token)

    def _decode(self, audio: np.ndarray, prompt: str | None, word_times: bool,
                beam_size: int | None = None):  # fmt: skip
        segments, _ = self._m.transcribe(
            audio,
            language=self.language,
            initial_prompt=prompt,
            hotwords=self.hotwords,
            beam_size=beam_size or self.beam_size,
            word_timestamps=word_times,
            without_timestamps=self.without_timestamps,
            # Speech is ~7 tokens/s, a number said fast up to ~14 (digits are a token each; at
            # 10/s 五五五五幺二三四 was cut off); a loop on the trailing silence ran to 224 tokens
            # (1.1 s of decoding each). The cap keeps a loop short; ``clean`` removes it.
            # (at most 200: with the longest prompt Whisper keeps, 223 tokens, the two must
            # stay within its 448)
            max_new_tokens=min(200, int(16 + 16 * len(audio) / 16000)),
            vad_filter=False,
            condition_on_previous_text=False,
            # the fallback re-decodes only segments that loop or score low; ``clean`` cuts
            # the loops that are left
            temperature=self.temperature,
        )
        kept = []
        # the segments generator decodes lazily: consume it while the short window is set
        for seg in list(segments):
            probs = [w.probability for w in seg.words or []]
            # A looping segment is kept when ``clean`` cuts the loop: dropping it lost what was
            # said before the loop (我是九栋二单元2003 before 九十九，九十九，…).
            looped = seg.compression_ratio > 2.4 and clean(display_text(seg.text)) == display_text(seg.text)
            if (
                (seg.no_speech_prob > 0.8 and seg.avg_logprob < -1.0)
                or looped
                or (probs and sum(probs) / len(probs) < 0.3)
            ):
                continue  # Whisper inventing text on noise or on the silence after speech
            if not clean(display_text(seg.text)):
                continue  # a segment that is all credits (词曲词): its words go too (replay)
            kept.append(seg)
        return kept

    def _transcribe(self, audio: np.ndarray, offset_s: float, speaker: Speaker) -> Utterance | None:
        segs = self._decode(audio, self.initial_prompt, self.word_timestamps)
        words: list[Word] = []
        for seg in segs:
            for w in seg.words or []:
                words.append(Word(display_text(w.word), round(float(offset_s + w.start), 3),
                                  round(float(offset_s + w.end), 3), round(float(w.probability), 3)))  # fmt: skip
        raw = clean(display_text("".join(s.text for s in segs)))
        # the whole utterance again (decoding on from the words before the number, as a
        # prefix, cost as much and gave fewer well-formed readings on the dev split)
        doubt = number_spans.doubtful(raw) if self.number_readings else None
        if doubt is not None:
            self.digit_passes += 1
            readings = self.readings(audio, NUMBER_PROMPT, self.number_readings)
            if doubt.kind == "phone" and self.from_cue:
                readings += self._from_cue(audio, offset_s, words)
            raw = number_spans.pick(raw, readings)
        text = digits.cut_loops(raw)
        if not text:
            return None
        conf = float(np.mean([w.conf for w in words])) if words else 0.0
        start = words[0].start if words else offset_s
        end = words[-1].end if words else offset_s + len(audio) / 16000
        return Utterance(speaker, start, end, text, [w for w in words if w.w], round(conf, 3))

    def _from_cue(self, audio: np.ndarray, offset_s: float, words: list[Word]) -> list[str]:
        """Readings of the utterance from its phone cue (电话, 手机) on, after the whole
        utterance's (a tie goes to those): a decoder that starts at the number, on a short
        window, keeps digits the long decode lost (电话1895678123层 → 电话18956781234, dev split)."""
        pairs = zip(words, words[1:], strict=False)
        cue = next((w for w, n in pairs if w.w[-1:] in "电手" and n.w[:1] in "话机"), None)
        if cue is None:
            return []
        at = max(0, int((cue.start - offset_s - 0.2) * 16000))
        return self.readings(audio[at:], NUMBER_PROMPT, self.number_readings)

    def transcribe_split(
        self, audio: np.ndarray, offset_s: float, speaker: Speaker,
        turns: list[tuple[float, float]], margin_s: float = 1.0,
    ) -> list[Utterance | None]:  # fmt: skip
        """``audio`` (a whole channel, from ``offset_s``) decoded at once, every word with the
        words around it, then its words shared out among ``turns`` ((start, end) in the
        recording, in order) by time: one utterance per turn (None: no word fell in it).
        A word more than ``margin_s`` outside every turn is dropped: it was heard on silence."""
        token = _window_frames.set(self.pad_frames)
        try:
            segs = self._decode(audio, self.initial_prompt, True)
        finally:
            _window_frames.reset(token)
        words = [(w, offset_s + float(w.start), offset_s + float(w.end)) for seg in segs for w in seg.words or []]
        out: list[Utterance | None] = []
        for k, (s, e) in enumerate(turns):
            lo = max(s - margin_s, (turns[k - 1][1] + s) / 2) if k else s - margin_s
            hi = min(e + margin_s, (e + turns[k + 1][0]) / 2) if k + 1 < len(turns) else e + margin_s
            mine = [x for x in words if lo <= (x[1] + x[2]) / 2 < hi]
            raw = clean(display_text("".join(w.word for w, _, _ in mine)))
            if self.number_readings and number_spans.doubtful(raw) is not None:
                self.digit_passes += 1
                piece = audio[max(0, int((s - offset_s) * 16000)) : int((e - offset_s) * 16000)]
                token = _window_frames.set(self.pad_frames)
                try:
                    raw = number_spans.pick(raw, self.readings(piece, NUMBER_PROMPT, self.number_readings))
                finally:
                    _window_frames.reset(token)
            text = digits.cut_loops(raw)
            # each word's times kept inside its turn: Whisper's word times drift into the
            # silence around a turn (a goodbye's first word put 0.9 s before the speech VAD
            # heard, on one CPU and not another); VAD's bounds of the turn do not
            ws = [Word(display_text(w.word), round(a, 3), round(b, 3), round(float(w.probability), 3))
                  for w, a, b in ((w, min(max(a, s), e), min(max(b, s), e)) for w, a, b in mine)]  # fmt: skip
            if not text or not ws:
                out.append(None)
                continue
            conf = round(float(np.mean([w.conf for w in ws])), 3)
            out.append(Utterance(speaker, ws[0].start, ws[-1].end, text, [w for w in ws if w.w], conf))
        return out

    def readings(self, audio: np.ndarray, prompt: str, n: int, samples: int = 0) -> list[str]:
        """``n`` beam candidates and ``samples`` samples (temperature 0.7) of ``audio``, encoded
        once, as display text: different readings of the same digits to vote among."""
        import ctranslate2
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        m = self._m
        tok = Tokenizer(m.hf_tokenizer, m.model.is_multilingual, task="transcribe",
                        language=self.language or "zh")  # fmt: skip
        feats = m.feature_extractor(audio)[:, :-1]
        pad = self.pad_frames if self.pad_frames is not None else 3000
        enc = m.encode(pad_or_trim(feats, min(3000, feats.shape[-1] + pad)))
        p = m.get_prompt(tok, tok.encode(" " + prompt.strip()), without_timestamps=True)
        common = dict(max_length=len(p) + min(200, int(16 + 16 * len(audio) / 16000)),
                      suppress_blank=True, suppress_tokens=get_suppressed_tokens(tok, [-1]))  # fmt: skip
        seqs = m.model.generate(enc, [p], beam_size=n, num_hypotheses=n, **common)[0].sequences_ids
        if samples:
            ctranslate2.set_random_seed(SEED)  # the same recording gives the same transcript
            seqs = seqs + m.model.generate(enc, [p], beam_size=1, sampling_topk=0, sampling_temperature=0.7,
                                           num_hypotheses=samples, **common)[0].sequences_ids  # fmt: skip
        return [clean(display_text(tok.decode(ids))) for ids in seqs]
