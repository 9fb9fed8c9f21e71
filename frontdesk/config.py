"""Settings, from one TOML file. Every field has a default that runs the embedded set-up:
SQLite and recordings under the data directory, SIP on 127.0.0.1:5060, Whisper base."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from domain.rules import Rules
from domain.sites import Site, site_of
from frontdesk.errors import UserError


@dataclass
class PhoneConfig:
    bind: str = "127.0.0.1"
    sip_port: int = 5060
    answer_after_rings: int = 3
    ring_on: float = 1.0  # China: 1 s on / 4 s off
    ring_off: float = 4.0
    max_lines: int = 2  # concurrent calls; the next one gets 486 Busy Here
    greeting: str | None = None  # WAV file; None = the greeting that ships with the product
    clock_rate: int = 8000  # bridge and recording rate; 8 kHz is bit-faithful for G.711
    transport: str = "udp"  # udp | tcp | both
    # Registration with a PBX/registrar; without a registrar the phone takes direct calls.
    registrar: str | None = None  # "sip:pbx.example.com:5060"
    username: str | None = None
    domain: str | None = None  # default: the registrar's host
    password: str | None = field(default=None, repr=False)  # or env FRONTDESK_SIP_PASSWORD; never logged or shown in a repr
    register_expires: int = 300
    # After a failed registration: wait register_retry_s, doubling up to register_retry_max_s.
    register_retry_s: int = 5
    register_retry_max_s: int = 300
    # A caller that sends no RTP for this long is hung up (row kept, cause says why); 0 = never.
    media_timeout_s: float = 30.0
    honour_answer_mode: bool = False  # RFC 5373 Answer-Mode: Auto / Call-Info answer-after
    # Sound devices by name (`frontdesk devices`); absent ones fall back to the null device.
    headset: str | None = None
    handset: str | None = None
    ring_device: str | None = None
    echo_canceller_ms: int = 0  # 0 = off (headset, handset); 200 for a speakerphone
    # The site (楼盘/小区) this line belongs to: its display name and the code rows store
    # (default: the name). Neither set: the default site, as a single desk has always been.
    site: str | None = None  # "阳光花园"
    site_code: str | None = None  # "sunny"


@dataclass
class AsrConfig:
    model: str = "whisper-base"  # a name under <data-dir>/models or a folder path
    engine: str = "auto"  # auto (from the model folder) | vosk | whisper
    language: str = "zh"
    vad_aggressiveness: int = 2
    vad_frame_ms: int = 30
    # Simplified Mandarin, the front desk's words, and an address said the front-desk way, so
    # Whisper writes 栋/单元 and room numbers digit by digit as spoken. On the 9 fixtures it was
    # written for it helps (CER 0.114 → 0.072 at 8 kHz); on the independent yardstick's dev
    # split too (CER 0.207 with the script sentence alone → 0.179, addresses 1 → 13 of 23).
    initial_prompt: str = "以下是普通话的句子。报修、投诉、物业费、电梯、漏水、水管、栋、单元、室。我是七栋一单元六零二的。"
    threads: int = 2
    # Added to the Whisper prompt so they are spelt as the ledger spells them.
    community_names: list = field(default_factory=list)  # ["阳光花园", "翠湖苑"]
    hotwords: list = field(default_factory=list)  # other words: ["燃气表", "门禁卡"]
    # After the draft, decode each channel whole, share its words out among the speakers'
    # turns and re-draft an untouched draft (README: Refine pass). Off by default: twice the
    # CPU per call, over the real-time budget on 2 cores.
    refine: bool = False

    def prompt(self) -> str | None:
        """The Whisper prompt: ``initial_prompt`` with the community names and hotwords."""
        from voice.asr.vocabulary import build_prompt

        try:
            return build_prompt(self.initial_prompt, self.community_names, self.hotwords)
        except ValueError as exc:
            raise UserError(f"[asr] community_names/hotwords: {exc}") from None


@dataclass
class LedgerConfig:
    database_url: str | None = None  # None = sqlite under the data directory
    registration_grace_s: float = 60.0  # front-desk rule: register within 1 minute
    # A PBX's call records (`calls import --cdr`): numbers this short are extensions, so a
    # call from one to an outside number is the desk calling out (a callback).
    extension_digits: int = 6
    outbound_recorded: bool = False  # the PBX records outbound calls: one without is a finding


@dataclass
class ConsoleConfig:
    bind: str = "127.0.0.1"  # residents' data: loopback unless the site decides otherwise
    port: int = 8080
    session_hours: float = 12.0  # one front-desk shift
    idle_minutes: float = 30.0  # a session unused this long ends (0 = only session_hours)
    # Secure cookies; browsers accept them over plain HTTP only on loopback, so a console
    # bound to a LAN address needs tls_cert/tls_key (or this set false, not recommended).
    secure_cookies: bool = True
    tls_cert: str | None = None
    tls_key: str | None = None
    # Host names browsers may use for the console besides its bind address and localhost
    # (a page on another site that resolves its own name to this address is refused).
    allowed_hosts: list[str] = field(default_factory=list)
    timezone: str = ""  # for display; "" = this machine's local time zone
    login_attempts: int = 5  # failed log-ins per user and address per window …
    login_window_s: float = 300.0  # … before log-in is refused for the rest of the window


@dataclass
class RecordingsConfig:
    # The recordings root; rows store paths relative to it. A company's desks share one
    # (a NAS mount). "" = <data-dir>/recordings.
    root: str = ""
    # Where this desk records live calls, and keeps finished ones while the root cannot be
    # reached. "" = the root itself when no root is set (one desk), else <data-dir>/spool.
    spool: str = ""
    move_every_s: float = 10.0  # how often the phone tries to move spooled recordings up


@dataclass
class Config:
    data_dir: Path
    phone: PhoneConfig = field(default_factory=PhoneConfig)
    asr: AsrConfig = field(default_factory=AsrConfig)
    ledger: LedgerConfig = field(default_factory=LedgerConfig)
    console: ConsoleConfig = field(default_factory=ConsoleConfig)
    recordings: RecordingsConfig = field(default_factory=RecordingsConfig)

    @property
    def database_url(self) -> str:
        return self.ledger.database_url or f"sqlite:///{self.data_dir / 'frontdesk.db'}"

    @property
    def recordings_dir(self) -> Path:
        """The recordings root, which rows' relative paths are relative to."""
        root = self.recordings.root
        return self.data_dir / Path(root).expanduser() if root else self.data_dir / "recordings"

    @property
    def spool_dir(self) -> Path:
        """This desk's local spool: live calls, and finished ones the root could not take."""
        if self.recordings.spool:
            return self.data_dir / Path(self.recordings.spool).expanduser()
        return self.data_dir / "spool" if self.recordings.root else self.recordings_dir

    def archive(self):
        from recordings.archive import Archive

        return Archive(self.recordings_dir, self.spool_dir)

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def site(self) -> Site:
        """This desk's site (``[phone] site`` / ``site_code``); the default site when unset."""
        try:
            return site_of(self.phone.site, self.phone.site_code)
        except ValueError as exc:
            raise UserError(f"[phone] site_code: {exc}") from None

    def rules(self) -> Rules:
        """The front desk's rules with this site's ring cadence and registration grace."""
        return Rules(
            ring_on_s=self.phone.ring_on,
            ring_off_s=self.phone.ring_off,
            registration_grace_s=self.ledger.registration_grace_s,
        )


_SECTIONS = {
    "phone": PhoneConfig,
    "asr": AsrConfig,
    "ledger": LedgerConfig,
    "console": ConsoleConfig,
    "recordings": RecordingsConfig,
}


def load_config(data_dir: str | Path, config_file: str | Path | None = None) -> Config:
    """Read settings; an unknown key or a wrong type is an error naming the key."""
    data = Path(data_dir).expanduser().resolve()
    cfg = Config(data_dir=data)
    path = Path(config_file) if config_file else data / "frontdesk.toml"
    if config_file and not path.exists():
        raise UserError(f"config file {path} does not exist")
    if not path.exists():
        return cfg
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"config file {path}: {exc}") from exc
    for section, values in raw.items():
        if section not in _SECTIONS or not isinstance(values, dict):
            raise UserError(f"config file {path}: unknown section [{section}]")
        target = getattr(cfg, section)
        _apply(target, values, f"{path} [{section}]")
    return cfg


def _apply(target: Any, values: dict, where: str) -> None:
    known = {f.name: f for f in fields(target)}
    for key, value in values.items():
        if key not in known:
            raise UserError(f"{where}: unknown key {key!r} (known: {', '.join(known)})")
        current = getattr(target, key)
        if current is not None and not isinstance(value, type(current)):
            if not (isinstance(current, float) and isinstance(value, int)):
                raise UserError(f"{where}: {key} must be {type(current).__name__}, got {value!r}")
            value = float(value)
        setattr(target, key, value)


def config_from_args(args) -> Config:
    from frontdesk.private import check_data_dir

    cfg = load_config(args.data_dir, args.config)
    check_data_dir(cfg.data_dir)  # residents' data: private to this user, checked at start
    return cfg
