"""Meaning checks of a scenario's ``surveys`` section (see :mod:`journeysim.model.surveys`):
known trigger moments and questions, each listed once; probabilities in [0, 1]; noise >= 0."""

from __future__ import annotations

from typing import Any, Mapping

from journeysim.config.names import unknown_name
from journeysim.config.validation_rules import Collector
from journeysim.model.surveys import QUESTIONS, TRIGGERS, ResponseProbability, Surveys


def build_surveys(check: Collector, path: str, spec: Mapping[str, Any] | None) -> Surveys | None:
    """The validated :class:`Surveys`, or None without a section (or with problems, which
    ``check`` holds)."""
    if spec is None:
        return None
    problems_before = len(check.problems)
    after = _names(check, f"{path}.after", spec["after"], TRIGGERS, "trigger moment", "trigger moments")
    questions = _names(check, f"{path}.questions", spec["questions"], QUESTIONS, "question", "questions")
    check.probability(f"{path}.invitation_probability", spec["invitation_probability"])
    response = spec["response_probability"]
    check.probability(f"{path}.response_probability.neutral", response["neutral"])
    check.probability(f"{path}.response_probability.extreme", response["extreme"])
    check.number(f"{path}.noise", spec["noise"], 0.0)
    if len(check.problems) > problems_before:
        return None
    return Surveys(
        after=after,
        invitation_probability=float(spec["invitation_probability"]),
        response_probability=ResponseProbability(float(response["neutral"]), float(response["extreme"])),
        noise=float(spec["noise"]),
        questions=questions,
    )


def _names(check: Collector, path: str, names: list[Any], known: tuple[str, ...], kind: str, plural: str) -> tuple[str, ...]:
    """``names`` checked against ``known``: at least one, each known and listed once."""
    if not names:
        check.add(path, f"must list at least one {kind} ({', '.join(known)}), or leave the surveys section out")
    seen: list[str] = []
    for index, name in enumerate(names):
        if name not in known:
            check.add(f"{path}[{index}]", unknown_name(kind, name, known, plural))
        elif name in seen:
            check.add(f"{path}[{index}]", f"{kind} {name!r} is listed twice")
        else:
            seen.append(name)
    return tuple(seen)
