"""Read and write Pabulib ``.pb`` files; a malformed file names its line and its problem."""

from __future__ import annotations

import csv
import gc
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

from servicielle.core.i18n import gettext as _
from servicielle.participation.tally.model import VOTE_TYPES, Ballot, Instance, Project, VoteType

SECTIONS = ("meta", "projects", "votes")
REQUIRED_COLUMNS = {"meta": ("key", "value"), "projects": ("project_id", "cost"), "votes": ()}
# Pabulib writes plain decimals; pabutools also accepts a decimal comma in costs and budgets.
_NUMBER = re.compile(r"^[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)$")


class PabulibError(ValueError):
    """A ``.pb`` file that cannot be read: the line (1-based) and what is wrong there."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(_("line %(line)d: %(problem)s") % {"line": line, "problem": problem})
        self.line = line
        self.problem = problem


def parse_number(text: str) -> Fraction | None:
    """The exact value of a decimal written in a ``.pb`` file, or None if it is not one."""
    text = text.strip()
    if not _NUMBER.match(text):
        return None
    return Fraction(text.replace(",", "."))


def format_number(value: Fraction) -> str:
    """A decimal for a ``.pb`` file; exact (a value like 1/3 has no decimal form and is refused)."""
    if value.denominator == 1:
        return str(value.numerator)
    denominator, digits = value.denominator, 0
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        raise ValueError(f"{value} has no finite decimal form")
    while (value * 10**digits).denominator != 1:
        digits += 1
    scaled = abs(value.numerator * 10**digits // value.denominator)
    whole, fraction = divmod(scaled, 10**digits)
    return f"{'-' if value < 0 else ''}{whole}.{fraction:0{digits}d}"


class _Reader:
    """Rows of a ``.pb`` text with the line each starts on (quoted fields may span lines)."""

    def __init__(self, text: str) -> None:
        self._rows = csv.reader(io.StringIO(text, newline=""), delimiter=";")
        self._end = 0

    def __iter__(self) -> _Reader:
        return self

    def __next__(self) -> tuple[int, list[str]]:
        try:
            row = next(self._rows)
        except csv.Error as exc:
            raise PabulibError(
                self._rows.line_num, _("unreadable CSV: %(error)s") % {"error": exc}
            ) from exc
        start, self._end = self._end + 1, self._rows.line_num
        return start, row

    @property
    def last_line(self) -> int:
        return self._end


def _items(cell: str) -> tuple[str, ...]:
    """The comma-separated items of a cell, trimmed, empty ones dropped (as pabutools does)."""
    items = cell.split(",")
    if " " in cell or "" in items:
        return tuple(item for item in (i.strip() for i in items) if item)
    return tuple(items)


def _is_blank(row: list[str]) -> bool:
    return all(cell.strip() == "" for cell in row)


def _section_of(row: list[str]) -> str | None:
    head = row[0].strip().lower()
    if head in SECTIONS and all(cell.strip() == "" for cell in row[1:]):
        return head
    return None


def _fields(line: int, row: list[str], header: list[str]) -> dict[str, str]:
    # Trailing empty cells beyond the header are a common export artefact, not an error.
    while len(row) > len(header) and row[-1].strip() == "":
        row = row[:-1]
    if len(row) != len(header):
        raise PabulibError(
            line,
            _("%(found)d fields where the header has %(expected)d (%(header)s)")
            % {"found": len(row), "expected": len(header), "header": ";".join(header)},
        )
    return {name: cell.strip() for name, cell in zip(header, row, strict=True)}


def _number(line: int, what: str, text: str, *, negative: bool = False) -> Fraction:
    value = parse_number(text)
    if value is None:
        raise PabulibError(
            line, _("%(what)s: %(value)r is not a number") % {"what": what, "value": text}
        )
    if value < 0 and not negative:
        raise PabulibError(
            line, _("%(what)s: %(value)s is negative") % {"what": what, "value": text}
        )
    return value


class _Parser:
    def __init__(self) -> None:
        self.meta: dict[str, str] = {}
        self.meta_lines: dict[str, int] = {}
        self.projects: dict[str, Project] = {}
        self.project_ids: set[str] = set()
        self.ballots: list[Ballot] = []
        self.voter_at = self.vote_at = 0
        self.points_at = -1
        self.extra: list[tuple[str, int]] = []
        self.voter_lines: dict[str, int] = {}
        self.section_lines: dict[str, int] = {}
        self.budget = Fraction(0)
        self.vote_type: VoteType = "approval"

    def parse(self, text: str) -> Instance:
        rows = _Reader(text.removeprefix("\ufeff"))
        section: str | None = None
        header: list[str] | None = None
        for line, row in rows:
            head = row[0].strip().lower() if row else ""
            if head in SECTIONS or not head:
                if _is_blank(row):
                    continue
                name = _section_of(row)
                if name is not None:
                    self._enter(line, name, section)
                    section, header = name, None
                    continue
            if section is None:
                raise PabulibError(
                    line, _("data before the first section (META, PROJECTS or VOTES)")
                )
            if header is None:
                header = self._header(line, row, section)
                continue
            if section == "votes":
                # The bulk of a file: kept lean.
                if len(row) != len(header):
                    _fields(line, row, header)  # trims trailing empties or raises
                    row = row[: len(header)]
                self._vote_row(line, row)
                continue
            fields = _fields(line, row, header)
            if section == "meta":
                self._meta_row(line, fields)
            elif section == "projects":
                self._project_row(line, fields)
        end = max(rows.last_line, 1)
        if section == "meta":
            self._check_meta(end)
        for name in SECTIONS:
            if name not in self.section_lines:
                raise PabulibError(
                    end, _("the %(section)s section is missing") % {"section": name.upper()}
                )
        if section is not None and header is None:
            raise PabulibError(
                end, _("the %(section)s section has no header") % {"section": section.upper()}
            )
        self._check_counts()
        return Instance(
            meta=self.meta,
            projects=self.projects,
            ballots=self.ballots,
            budget=self.budget,
            vote_type=self.vote_type,
        )

    def _enter(self, line: int, name: str, current: str | None) -> None:
        if name in self.section_lines:
            raise PabulibError(
                line,
                _("the %(section)s section appears twice (first on line %(first)d)")
                % {"section": name.upper(), "first": self.section_lines[name]},
            )
        expected = SECTIONS[len(self.section_lines)]
        if name != expected:
            raise PabulibError(
                line,
                _("the %(section)s section comes before the %(expected)s section")
                % {"section": name.upper(), "expected": expected.upper()},
            )
        if current == "meta":
            self._check_meta(line)
        self.section_lines[name] = line

    def _header(self, line: int, row: list[str], section: str) -> list[str]:
        header = [cell.strip() for cell in row]
        while header and header[-1] == "":
            header.pop()
        seen: set[str] = set()
        for column in header:
            if column in seen:
                raise PabulibError(
                    line, _("the column %(column)r appears twice") % {"column": column}
                )
            seen.add(column)
        required: tuple[str, ...] = REQUIRED_COLUMNS[section]
        if section == "votes":
            required = ("voter_id", "vote")
            if self.vote_type in ("cumulative", "scoring"):
                required += ("points",)
        for column in required:
            if column not in seen:
                raise PabulibError(
                    line,
                    _("the %(section)s header lacks the %(column)r column")
                    % {"section": section.upper(), "column": column},
                )
        if section == "votes":
            self.voter_at = header.index("voter_id")
            self.vote_at = header.index("vote")
            self.points_at = header.index("points") if "points" in required else -1
            used = {self.voter_at, self.vote_at, self.points_at}
            self.extra = [(name, i) for i, name in enumerate(header) if i not in used]
        return header

    def _meta_row(self, line: int, fields: dict[str, str]) -> None:
        key = fields["key"]
        if not key:
            raise PabulibError(line, _("a META row without a key"))
        if key in self.meta:
            raise PabulibError(
                line,
                _("the META key %(key)r appears twice (first on line %(first)d)")
                % {"key": key, "first": self.meta_lines[key]},
            )
        self.meta[key] = fields["value"]
        self.meta_lines[key] = line

    def _check_meta(self, line: int) -> None:
        meta_line = self.section_lines["meta"]
        for key in ("budget", "vote_type"):
            if key not in self.meta:
                raise PabulibError(meta_line, _("META lacks the %(key)r key") % {"key": key})
        self.budget = _number(self.meta_lines["budget"], _("the budget"), self.meta["budget"])
        vote_type = self.meta["vote_type"].strip().lower()
        for known in VOTE_TYPES:
            if vote_type == known:
                self.vote_type = known
                break
        else:
            raise PabulibError(
                self.meta_lines["vote_type"],
                _("unknown vote type %(value)r (expected one of: %(known)s)")
                % {"value": self.meta["vote_type"], "known": ", ".join(VOTE_TYPES)},
            )

    def _project_row(self, line: int, fields: dict[str, str]) -> None:
        project_id = fields.pop("project_id")
        if not project_id:
            raise PabulibError(line, _("a project without an id"))
        if project_id in self.projects:
            raise PabulibError(
                line,
                _("the project %(id)r appears twice (first on line %(first)d)")
                % {"id": project_id, "first": self.projects[project_id].line},
            )
        cost = _number(
            line, _("the cost of project %(id)r") % {"id": project_id}, fields.pop("cost")
        )
        self.project_ids.add(project_id)
        self.projects[project_id] = Project(
            id=project_id, cost=cost, name=fields.get("name", ""), fields=fields, line=line
        )

    def _vote_row(self, line: int, row: list[str]) -> None:
        voter_id = row[self.voter_at].strip()
        if not voter_id:
            raise PabulibError(line, _("a vote without a voter_id"))
        if voter_id in self.voter_lines:
            raise PabulibError(
                line,
                _("the voter %(id)r appears twice (first on line %(first)d)")
                % {"id": voter_id, "first": self.voter_lines[voter_id]},
            )
        projects = _items(row[self.vote_at])
        if not self.project_ids.issuperset(projects) or len(set(projects)) != len(projects):
            self._bad_vote(line, voter_id, projects)
        if self.vote_type == "choose-1" and len(projects) > 1:
            raise PabulibError(
                line,
                _("voter %(voter)r chooses %(count)d projects in a choose-1 vote")
                % {"voter": voter_id, "count": len(projects)},
            )
        points: tuple[Fraction, ...] | None = None
        if self.points_at >= 0:
            points = self._points(line, voter_id, projects, _items(row[self.points_at]))
        self.voter_lines[voter_id] = line
        fields = {name: row[i].strip() for name, i in self.extra} if self.extra else {}
        self.ballots.append(
            Ballot(voter_id=voter_id, projects=projects, points=points, fields=fields, line=line)
        )

    def _bad_vote(self, line: int, voter_id: str, projects: tuple[str, ...]) -> None:
        seen: set[str] = set()
        for project_id in projects:
            if project_id not in self.projects:
                raise PabulibError(
                    line,
                    _("voter %(voter)r votes for %(project)r, which is not in PROJECTS")
                    % {"voter": voter_id, "project": project_id},
                )
            if project_id in seen:
                raise PabulibError(
                    line,
                    _("voter %(voter)r lists %(project)r twice")
                    % {"voter": voter_id, "project": project_id},
                )
            seen.add(project_id)

    def _points(
        self, line: int, voter_id: str, projects: tuple[str, ...], raw: tuple[str, ...]
    ) -> tuple[Fraction, ...]:
        if len(raw) != len(projects):
            raise PabulibError(
                line,
                _("voter %(voter)r lists %(projects)d projects but %(points)d points")
                % {"voter": voter_id, "projects": len(projects), "points": len(raw)},
            )
        points = []
        for item in raw:
            value = parse_number(item)
            if value is None or (value < 0 and self.vote_type != "scoring"):
                _number(
                    line,
                    _("the points of voter %(voter)r") % {"voter": voter_id},
                    item,
                    negative=self.vote_type == "scoring",
                )
            assert value is not None
            points.append(value)
        return tuple(points)

    def _check_counts(self) -> None:
        for key, found, what in (
            ("num_projects", len(self.projects), _("projects")),
            ("num_votes", len(self.ballots), _("votes")),
        ):
            if key not in self.meta:
                continue
            declared = parse_number(self.meta[key])
            if declared is None or declared != found:
                raise PabulibError(
                    self.meta_lines[key],
                    _("%(key)s says %(declared)s but the file has %(found)d %(what)s")
                    % {"key": key, "declared": self.meta[key], "found": found, "what": what},
                )


def parse(text: str) -> Instance:
    """Read a ``.pb`` file's text; raise :class:`PabulibError` on the first problem."""
    with _no_gc():
        return _Parser().parse(text)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cycle collector: a million ballots create no cycles, only its rescans."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read(path: str | Path) -> Instance:
    """Read a ``.pb`` file (UTF-8, with or without a byte-order mark)."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PabulibError(line, _("the file is not valid UTF-8")) from exc
    return parse(text)


def dumps(instance: Instance) -> str:
    """The instance as ``.pb`` text (META, PROJECTS, VOTES), readable back by :func:`parse`."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    meta = dict(instance.meta)
    meta.update(
        num_projects=str(len(instance.projects)),
        num_votes=str(len(instance.ballots)),
        budget=format_number(instance.budget),
        vote_type=instance.vote_type,
    )
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    writer.writerows(meta.items())
    columns: list[str] = []
    for project in instance.projects.values():
        columns += [c for c in project.fields if c not in columns]
    writer.writerow(["PROJECTS"])
    writer.writerow(["project_id", "cost", *columns])
    for project in instance.projects.values():
        writer.writerow(
            [project.id, format_number(project.cost)] + [project.fields.get(c, "") for c in columns]
        )
    with_points = instance.vote_type in ("cumulative", "scoring")
    columns = []
    for ballot in instance.ballots:
        columns += [c for c in ballot.fields if c not in columns]
    writer.writerow(["VOTES"])
    writer.writerow(["voter_id", "vote", *(["points"] if with_points else []), *columns])
    for ballot in instance.ballots:
        row = [ballot.voter_id, ",".join(ballot.projects)]
        if with_points:
            row.append(",".join(format_number(p) for p in ballot.points or ()))
        writer.writerow(row + [ballot.fields.get(c, "") for c in columns])
    return out.getvalue()


def write(instance: Instance, path: str | Path) -> None:
    """Write the instance to a ``.pb`` file (UTF-8)."""
    Path(path).write_text(dumps(instance), encoding="utf-8")
