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
class Job:
    source_key: tuple[str | None, ...]
    campaign_arn: str
    campaign_name: str
    kind: str
    has_scores: bool
    request: HealthRequest
    data: SourceData
    result: health_run.RunResult = field(default_factory=health_run.RunResult)
    done: int = 0
    status: str = RUNNING
    cancel: threading.Event = field(default_factory=threading.Event)
    reports: dict[str, hm.HealthReport] | None = None
    baseline_note: str = ""

    @property
    def total(self) -> int:
        return len(self.request.users)

    def stop(self) -> None:
        self.cancel.set()
        if self.status == RUNNING:
            self.status = CANCELLED

    def step(self, runtime: Any, size: int) -> None:
        """Run the next slice of users (the local block path where the client has one)."""
        users = self.request.users[self.done:self.done + size]
        r = self.request
        if health_run.supports_blocks(runtime, self.kind):
            part = health_run.block_lists(runtime, self.campaign_arn, users, r.k, r.context, cancel=self.cancel)
        else:
            part = health_run.call_lists(runtime, self.kind, self.campaign_arn, users, r.k, r.context,
                                         candidates=r.candidates, workers=r.workers, cancel=self.cancel)
        self.result.extend(part)
        self.done += len(part.lists) + len(part.errors)
        if self.status == RUNNING and self.done >= self.total:
            self.status = DONE

    def finish(self) -> dict[str, hm.HealthReport]:
        """The campaign's report beside the popularity and random baselines (computed once)."""
        if self.reports is None:
            r, data = self.request, self.data
            lists = self.result.lists
            reports = {self.campaign_name: hm.compute(lists, data.catalogue, r.k, known=data.known)}
            cat = data.catalogue
            if cat is not None and cat.popularity is not None:
                reports["Popularity baseline"] = hm.compute(
                    health_run.popularity_lists(lists.user_ids, cat, r.k), cat, r.k, known=data.known)
            else:
                self.baseline_note = "The popularity baseline needs item interaction counts (upload interactions)."
            if cat is not None:
                reports["Random baseline"] = hm.compute(
                    health_run.random_lists(lists.user_ids, cat, r.k, seed=0), cat, r.k, known=data.known)
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
    job = Job(selection.config.key, details.arn, details.name, details.kind, details.has_scores, request, data)
    st.session_state[_JOB] = job
    return job


def _slice(job: Job, runtime: Any) -> int:
    return LOCAL_SLICE if health_run.supports_blocks(runtime, job.kind) else LIVE_SLICE


def _advance(selection: Selection) -> None:
    job = current(selection)
    if job is None or job.status != RUNNING:
        return
    assert selection.clients is not None
    runtime = selection.clients.runtime
    noun = "seed items" if job.kind == recipes.RELATED_ITEMS else "users"
    st.progress(job.done / max(job.total, 1), text=f"Asking the campaign: {job.done:,} of {job.total:,} {noun}…")
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
