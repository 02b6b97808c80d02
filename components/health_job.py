"""The health check as a resumable job: a slice of users per run, a progress bar and a Cancel button.

The job lives in session state. A fragment that reruns itself every TICK seconds advances it one
slice at a time (local: a few thousand users in blocks; live: a few hundred calls on the thread
pool), so the page stays responsive and Cancel (a callback that sets the job's Event) takes effect
between slices, keeping what was done. When the job ends, the whole page reruns to show results.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from components.health_inputs import HealthRequest, SourceData
from components.sidebar import Selection
from scoring import health_metrics as hm
from scoring import health_run, recipes
from scoring.campaigns import CampaignDetails

LOCAL_SLICE = 2_000
LIVE_SLICE = 200
TICK = 0.2
_JOB = "_health_job"

RUNNING, DONE, CANCELLED = "running", "done", "cancelled"


@dataclass
class Leg:
    """One campaign's part of the job: the same users, its own lists."""

    arn: str
    name: str
    recipe: recipes.Recipe
    has_scores: bool
    group: str | None = None  # the dataset group: a filter applies to campaigns of its own group
    result: health_run.RunResult = field(default_factory=health_run.RunResult)
    done: int = 0

    @classmethod
    def of(cls, details: CampaignDetails) -> Leg:
        return cls(details.arn, details.name, details.recipe_info, details.has_scores, details.dataset_group_arn)


@dataclass
class Job:
    """The users through the selected campaign, then each campaign of `request.also` in turn."""

    source_key: tuple[str | None, ...]
    legs: list[Leg]
    request: HealthRequest
    data: SourceData
    status: str = RUNNING
    cancel: threading.Event = field(default_factory=threading.Event)
    reports: dict[str, hm.HealthReport] | None = None
    baseline_note: str = ""

    @property
    def main(self) -> Leg:
        return self.legs[0]

    @property
    def campaign_arn(self) -> str:
        return self.main.arn

    @property
    def campaign_name(self) -> str:
        return self.main.name

    @property
    def recipe(self) -> recipes.Recipe:
        return self.main.recipe

    @property
    def has_scores(self) -> bool:
        return self.main.has_scores

    @property
    def result(self) -> health_run.RunResult:
        return self.main.result

    @property
    def users(self) -> int:
        return len(self.request.users)

    @property
    def done(self) -> int:
        """Requests answered (or failed) over every campaign."""
        return sum(leg.done for leg in self.legs)

    @property
    def total(self) -> int:
        return self.users * len(self.legs)

    @property
    def leg(self) -> Leg:
        """The campaign being asked now (the last one once all are done)."""
        return next((leg for leg in self.legs if leg.done < self.users), self.legs[-1])

    @property
    def started(self) -> list[Leg]:
        """The campaigns with some lists (or errors) to show: all of them unless cancelled early."""
        return [self.main] + [leg for leg in self.legs[1:] if leg.done]

    def stop(self) -> None:
        self.cancel.set()
        if self.status == RUNNING:
            self.status = CANCELLED

    def filters_for(self, leg: Leg) -> dict[str, Any] | None:
        """The request's filter, for campaigns of the selected campaign's dataset group only."""
        return self.request.filters if leg.group == self.main.group else None

    def step(self, runtime: Any, size: int) -> None:
        """Run the next slice of users of the current campaign (the local block path where it has one)."""
        leg, r = self.leg, self.request
        users = r.users[leg.done:leg.done + size]
        filters = self.filters_for(leg)
        if health_run.supports_blocks(runtime, leg.recipe) and not filters:
            part = health_run.block_lists(runtime, leg.arn, users, r.k, r.context, cancel=self.cancel)
        else:
            part = health_run.call_lists(runtime, leg.recipe, leg.arn, users, r.k, r.context,
                                         candidates=r.candidates, workers=r.workers, cancel=self.cancel,
                                         filters=filters)
        leg.result.extend(part)
        leg.done += len(part.lists) + len(part.errors)
        if self.status == RUNNING and self.done >= self.total:
            self.status = DONE

    def finish(self) -> dict[str, hm.HealthReport]:
        """Each campaign's report, then the popularity and random baselines (computed once).

        The baselines go to the users of the selected campaign's lists, so they match its rows.
        """
        if self.reports is None:
            r, data = self.request, self.data
            cat = data.catalogue
            reports = {leg.name: hm.compute(leg.result.lists, cat, r.k, known=data.known) for leg in self.started}
            users = self.result.lists.user_ids
            if cat is not None and cat.popularity is not None:
                reports["Popularity baseline"] = hm.compute(
                    health_run.popularity_lists(users, cat, r.k), cat, r.k, known=data.known)
            else:
                self.baseline_note = "The popularity baseline needs item interaction counts (upload interactions)."
            if cat is not None:
                reports["Random baseline"] = hm.compute(
                    health_run.random_lists(users, cat, r.k, seed=0), cat, r.k, known=data.known)
            self.reports = reports
        return self.reports


def current(selection: Selection) -> Job | None:
    """The last job, if it belongs to the source and campaign selected now."""
    job: Job | None = st.session_state.get(_JOB)
    if job is None or job.source_key != selection.config.key or job.campaign_arn != selection.campaign_arn:
        return None
    return job


def start(selection: Selection, details: CampaignDetails, request: HealthRequest, data: SourceData) -> Job:
    old: Job | None = st.session_state.get(_JOB)
    if old is not None:
        old.stop()
    legs = [Leg.of(details)] + [Leg.of(other) for other in request.also if other.arn != details.arn]
    job = Job(selection.config.key, legs, request, data)
    st.session_state[_JOB] = job
    return job


def _slice(job: Job, runtime: Any) -> int:
    blocks = health_run.supports_blocks(runtime, job.leg.recipe) and not job.filters_for(job.leg)
    return LOCAL_SLICE if blocks else LIVE_SLICE


def _advance(selection: Selection) -> None:
    job = current(selection)
    if job is None or job.status != RUNNING:
        return
    assert selection.clients is not None
    runtime = selection.clients.runtime
    noun = "seed items" if job.recipe.seeded_by_item else "users"
    leg = job.leg
    which = "the campaign" if len(job.legs) == 1 else f"{leg.name} ({job.legs.index(leg) + 1} of {len(job.legs)})"
    st.progress(job.done / max(job.total, 1), text=f"Asking {which}: {leg.done:,} of {job.users:,} {noun}…")
    st.button("Cancel", key="health_cancel", icon=":material/stop_circle:", on_click=job.stop)
    if job.status == RUNNING:
        job.step(runtime, _slice(job, runtime))
    if job.status != RUNNING:
        st.rerun(scope="app")


_advance_every_tick = st.fragment(run_every=TICK)(_advance)


def drive(selection: Selection) -> None:
    """Advance a running job (a self-rerunning fragment while it runs; nothing otherwise)."""
    job = current(selection)
    if job is not None and job.status == RUNNING:
        _advance_every_tick(selection)
