"""The Health check's "Batch inference jobs" tab: start a job, watch it, list past ones, analyse any.

The same panel for a live campaign (Amazon Personalize runs the job on the campaign's solution
version) and a local one (the local control client runs it in this process, on the block path).
Starting a job writes (an input file to S3, a job) and, live, costs money: the form only builds a
plan; a confirmation names what it changes and costs, and nothing is written until it is accepted.
The watched job is kept in session state under a durable key, so the person can leave the page and
come back; a fragment re-describes it every few seconds without blocking the page.
"""

from __future__ import annotations

import io
import random
from typing import Any

import pandas as pd
import streamlit as st

import scoring.aws
from components import errors, health_job, health_results, read_only, request_form
from components.health_inputs import SourceData
from components.safe_text import code, md
from components.sidebar import Selection
from scoring import batch_console, batch_files, batch_jobs, batch_requests, recipes, requests
from scoring.campaigns import CampaignDetails

SAMPLE, PASTED, EXISTING = "Random sample of the dataset's users", "Pasted user IDs", "An input file already in S3"
LAST_RUN = "The users of the last real-time run"
DEFAULT_USERS = 2_000
MAX_USERS = 1_000_000
POLL_SECONDS = 2.0
MAX_DOWNLOAD = 50_000_000  # bytes: larger output files are analysed but not offered for download
_PLAN = "_batch_plan"
_WATCHED = "_batch_watched"      # {source key: job ARN}
_ANALYSED = "_batch_analysed"    # {job ARN: StreamResult}
_CHOSEN = "_batch_chosen"        # {source key: job ARN to analyse}
_ENDED = "_batch_ended"          # {job ARN: its last description, once ACTIVE or CREATE FAILED}


@st.cache_resource(show_spinner=False)
def _live_s3(region: str | None, profile: str | None) -> Any:
    return scoring.aws.live_client("s3", region or scoring.aws.default_region() or "us-east-1", profile)


@st.cache_resource(show_spinner=False)
def _local_s3() -> Any:
    return batch_jobs.default_s3()


def s3_client(selection: Selection) -> Any:
    """S3 for this source: the live profile's, or (local) boto3's standard environment."""
    c = selection.config
    return _local_s3() if c.is_local else _live_s3(c.region, c.profile)


def _profile(selection: Selection) -> str:
    c = selection.config
    return "local" if c.is_local else f"{c.profile or 'default'}"


def section(selection: Selection, details: CampaignDetails, data: SourceData,
            suggestions: request_form.Suggestions | None) -> None:
    """The whole tab: the form (or its confirmation), the watched job, the list, the analysis."""
    assert selection.clients is not None
    st.caption("A batch inference job reads users from an S3 file and writes everyone's recommendations to "
               "S3, on Personalize's batch engine: no per-call billing and no TPS cap. When it is ACTIVE its "
               "output feeds the same metrics, flags and charts as a real-time run. "
               + ("Locally the job runs in this console's process, on the same API."
                  if selection.config.is_local else "It runs on the campaign's solution version."))
    if recipes.recipe_name(details.recipe_arn) in ("aws-trending-now", "aws-next-best-action"):
        st.info("Personalize has no batch inference for this recipe.", icon=":material/info:")
        return
    form_col, jobs_col = st.columns([5, 11], gap="large")
    with form_col:
        if read_only.active():
            read_only.note("Starting a batch inference job")
        else:
            _form_or_confirmation(selection, details, data, suggestions)
    with jobs_col:
        _watch(selection)
        _job_list(selection, details)
    _analysis(selection, data)


# -- the form and its confirmation ----------------------------------------------------------------------
def _form_or_confirmation(selection: Selection, details: CampaignDetails, data: SourceData,
                          suggestions: request_form.Suggestions | None) -> None:
    pending: batch_console.Plan | None = st.session_state.get(_PLAN)
    if pending is not None and pending.params["solutionVersionArn"] == details.solution_version_arn:
        _confirm(selection, pending)
        return
    st.subheader("New job")
    remembered = batch_console.remembered(_profile(selection))
    local = selection.config.is_local
    st.session_state.setdefault("batch_role", remembered.get("roleArn") or (batch_console.LOCAL_ROLE if local else ""))
    st.session_state.setdefault("batch_in_folder", remembered.get("inputFolder", ""))
    st.session_state.setdefault("batch_out_folder", remembered.get("outputFolder", ""))
    st.session_state.setdefault("batch_name", batch_console.default_job_name(details.name))
    kind = details.kind
    last = health_job.current(selection)
    options = (([LAST_RUN] if last is not None else [])
               + ([SAMPLE] if data.user_pool and kind != recipes.RELATED_ITEMS else []) + [PASTED, EXISTING])
    how = st.radio("Input", options, key="batch_how",
                   format_func=lambda o: o.replace("user IDs", "item IDs") if kind == recipes.RELATED_ITEMS else o)
    users: list[str] | None = None
    if how == LAST_RUN and last is not None:
        users = list(last.request.users)
        st.caption(f"{len(users):,} IDs, as chosen in the form above.")
    elif how == SAMPLE:
        pool = data.user_pool or []
        size_col, seed_col = st.columns(2)
        size = int(size_col.number_input("Users", 1, MAX_USERS, min(DEFAULT_USERS, MAX_USERS), key="batch_size",
                                         help="Drawn with replacement when more than the dataset's users."))
        seed = int(seed_col.number_input("Seed", 0, 1_000_000, 0, key="batch_seed"))
        rng = random.Random(seed)
        users = rng.sample(pool, size) if size <= len(pool) else [rng.choice(pool) for _ in range(size)]
        if size > len(pool):
            st.caption(f"The dataset has {len(pool):,} users, so some are drawn more than once: a repeated user "
                       "gets the same list, which the *users with identical lists* flag counts.")
    elif how == PASTED:
        users = batch_files.parse_id_list(st.text_area("IDs (one per line, or separated by commas)",
                                                       key="batch_ids", height=100))
    if users is not None:
        st.text_input("S3 folder for the input file", key="batch_in_folder", placeholder="s3://bucket/batch/input/",
                      help="The console writes the input file (JSON lines) here, named after the job.")
    else:
        st.text_input("Input file in S3", key="batch_existing", placeholder="s3://bucket/batch/input/users.json",
                      help="JSON lines, one {\"userId\": ...} per line (a folder ending with / for every file in it).")
    st.text_input("S3 folder for the output", key="batch_out_folder", placeholder="s3://bucket/batch/output/",
                  help="Must differ from the input's folder. The output file is <input file>.out.")
    st.text_input("IAM role ARN", key="batch_role", placeholder="arn:aws:iam::123456789012:role/PersonalizeBatch",
                  help="A role Personalize can assume to read the input and write the output (README, 'Batch "
                       "inference jobs'); remembered for this profile." + (" Locally it is recorded, not used."
                                                                            if local else ""))
    name_col, num_col = st.columns([3, 2])
    name_col.text_input("Job name", key="batch_name")
    num = int(num_col.number_input("Results per user", 1, 500, 25, key="batch_num"))
    items: list[str] | None = None
    if kind == recipes.PERSONALIZED_RANKING:
        items = requests.parse_item_list(st.text_area("Items each user's ranking is asked for",
                                                      key="batch_items", height=70))[:500]
    filter_arn, filter_values = "", None
    if suggestions is not None and suggestions.filters:
        filter_arn = request_form.filter_picker("Filter", "batch_filter", suggestions,
                                                "Applied to every line; its parameters go in each line.")
        request_form.parameter_inputs(suggestions, filter_arn, "batch_fp")
    if not st.button("Review job", key="batch_review", type="primary", icon=":material/fact_check:"):
        return
    try:
        chosen = request_form.filter_inputs(suggestions, filter_arn, "batch_fp") if suggestions else None
        if chosen is not None:
            filter_values = requests.filter_values(chosen) or None
    except requests.RequestError as exc:
        errors.show(exc)
        return
    plan = batch_console.plan(
        kind=kind, job_name=str(st.session_state.get("batch_name", "")),
        solution_version_arn=details.solution_version_arn, role_arn=str(st.session_state.get("batch_role", "")),
        output_folder=str(st.session_state.get("batch_out_folder", "")), num_results=num, live=not local,
        users=users, input_folder=str(st.session_state.get("batch_in_folder", "")),
        existing_input=str(st.session_state.get("batch_existing", "")), filter_arn=filter_arn or None,
        filter_values=filter_values, item_list=items)
    if plan.problems:
        st.error("Fix these before the job can start:\n\n" + "\n".join(f"- {md(p)}" for p in plan.problems),
                 icon=":material/edit_note:")
        return
    st.session_state[_PLAN] = plan
    st.rerun()


def _confirm(selection: Selection, plan: batch_console.Plan) -> None:
    st.subheader("Confirm the job")
    with st.container(border=True):
        st.markdown("Starting this job will:\n\n" + "\n".join(f"- {_linkless(c)}" for c in plan.changes()))
        st.caption(md(plan.costs()))
        agreed = st.checkbox("I understand what this writes and what it costs", key="batch_agree")
        start_col, back_col = st.columns(2)
        start = start_col.button("Start job", key="batch_start", type="primary", disabled=not agreed,
                                 icon=":material/play_arrow:")
        if back_col.button("Change it", key="batch_back"):
            st.session_state.pop(_PLAN, None)
            st.rerun()
    if not start:
        return
    assert selection.clients is not None
    try:
        with st.spinner("Starting the job…"):
            if plan.input_body is not None:
                bucket, key = batch_requests.split_s3(plan.input_path)
                s3_client(selection).put_object(Bucket=bucket, Key=key, Body=plan.input_body,
                                                ContentType="application/json")
            arn = selection.clients.control.create_batch_inference_job(**plan.params)["batchInferenceJobArn"]
    except Exception as exc:
        errors.show(exc)
        return
    folders = {"roleArn": plan.params["roleArn"], "outputFolder": plan.output_path}
    if plan.input_body is not None:
        folders["inputFolder"] = plan.input_path.rsplit("/", 1)[0] + "/"
    batch_console.remember(_profile(selection), folders)
    st.session_state.setdefault(_WATCHED, {})[selection.config.key] = arn
    for key in (_PLAN, "batch_agree", "batch_name"):
        st.session_state.pop(key, None)
    st.rerun()


def _linkless(text: str) -> str:
    """A change line with its s3:// URIs as code (never links), the rest escaped."""
    return " ".join(code(word) if word.startswith(("s3://", "arn:")) else md(word) for word in text.split(" "))


# -- the watched job --------------------------------------------------------------------------------------
def _watch(selection: Selection) -> None:
    """The job started last: polled by a fragment while it runs, then its final state (no more calls)."""
    arn = st.session_state.get(_WATCHED, {}).get(selection.config.key)
    if not arn:
        return
    ended = st.session_state.get(_ENDED, {}).get(arn)
    if ended is not None:
        _status(ended)
    else:
        _describe_every_tick(selection, arn)


def _status(job: dict[str, Any]) -> None:
    status, name, took = job["status"], md(job["jobName"]), batch_console.elapsed(job)
    if status == "ACTIVE":
        st.success(f"Job {name} is ACTIVE (ran {took}): its analysis is below.", icon=":material/check_circle:")
    elif status == "CREATE FAILED":
        st.error(f"Job {name} failed after {took}: {md(job.get('failureReason', 'no reason given'))}",
                 icon=":material/error:")
    else:
        st.info(f"Job {name} is **{md(status)}** for {took} (checked every {POLL_SECONDS:g} s; you can leave "
                "this page and come back).", icon=":material/hourglass_top:")


def _describe(selection: Selection, arn: str) -> None:
    assert selection.clients is not None
    try:
        job = selection.clients.control.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]
    except Exception as exc:
        errors.show(exc)
        return
    _status(job)
    if job["status"] in batch_console.FINISHED:
        st.session_state.setdefault(_ENDED, {})[arn] = job
        if job["status"] == "ACTIVE":
            st.session_state.setdefault(_CHOSEN, {})[selection.config.key] = arn
        st.rerun(scope="app")  # the list and the analysis below show the end too


_describe_every_tick = st.fragment(run_every=POLL_SECONDS)(_describe)


# -- past jobs --------------------------------------------------------------------------------------------
def _job_list(selection: Selection, details: CampaignDetails) -> None:
    assert selection.clients is not None
    st.subheader("Jobs of this solution version")
    try:
        jobs = batch_console.list_jobs(selection.clients.control, details.solution_version_arn)
    except Exception as exc:
        errors.show(exc)
        return
    if not jobs:
        st.caption("No batch inference jobs yet.")
        return
    frame = pd.DataFrame([{"Job": j["jobName"], "Status": j["status"], "Created": j.get("creationDateTime"),
                           "Ran for": batch_console.elapsed(j), "Failure reason": j.get("failureReason", "")}
                          for j in jobs])
    st.dataframe(frame, hide_index=True, key="batch_jobs_table")
    finished = {j["batchInferenceJobArn"]: j["jobName"] for j in jobs if j["status"] == "ACTIVE"}
    if not finished:
        return
    pick_col, go_col = st.columns([3, 1], vertical_alignment="bottom")
    arn = pick_col.selectbox("Finished job", list(finished), format_func=finished.get, key="batch_pick")
    if go_col.button("Analyse", key="batch_analyse", icon=":material/monitor_heart:"):
        st.session_state.setdefault(_CHOSEN, {})[selection.config.key] = arn


# -- analysis of a finished job ---------------------------------------------------------------------------
def _analysis(selection: Selection, data: SourceData) -> None:
    arn = st.session_state.get(_CHOSEN, {}).get(selection.config.key)
    if not arn:
        return
    assert selection.clients is not None
    try:
        job = selection.clients.control.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]
        s3 = s3_client(selection)
        uris = list(batch_console.output_uris(s3, job))
        cache: dict[str, batch_files.StreamResult] = st.session_state.setdefault(_ANALYSED, {})
        if arn not in cache:
            with st.spinner("Reading the job's output line by line…"):
                k = int(job.get("numResults") or 25)
                result = None
                for uri in uris:  # a folder input gives one output per file: the first one is analysed
                    result = batch_files.stream_output(uri, data.catalogue, k, known=data.known, s3=s3)
                    break
                if result is None:
                    raise ValueError("The job lists no output file.")
                cache[arn] = result
        result = cache[arn]
    except Exception as exc:
        errors.show(exc)
        return
    st.divider()
    st.subheader(f"Job {md(job['jobName'])}")
    st.dataframe(pd.DataFrame(batch_console.parameters(job), columns=["Parameter", "Value"]), hide_index=True,
                 key="batch_params")
    st.success(f"{result.records:,} lists read from {result.lines:,} lines of {md(uris[0])}"
               + (f"; {result.error_count:,} error line(s)" if result.error_count else "") + ".",
               icon=":material/check_circle:")
    reports = {job["jobName"]: result.report}
    health_results.metrics_table(reports, "batch_job_metrics")
    health_results.flags_table(result.report, "batch_job_flags", interactions=data.known is not None)
    if result.errors:
        with st.expander(f"{result.error_count:,} error line(s)"):
            st.dataframe(pd.DataFrame([{"Line": e.line, "Problem": e.message} for e in result.errors]),
                         hide_index=True, key="batch_job_errors")
    health_results.charts(reports, job["jobName"], "batch_job")
    _downloads(s3, job, uris[0], reports)


def _downloads(s3: Any, job: dict[str, Any], uri: str, reports: dict[str, Any]) -> None:
    from scoring import health_metrics as hm

    metrics = io.StringIO()
    hm.metric_table(reports).to_csv(metrics, index=False)
    left, right = st.columns(2)
    left.download_button("Metrics as CSV", metrics.getvalue().encode("utf-8"), f"{job['jobName']}-metrics.csv",
                         "text/csv", key="batch_dl_metrics")
    bucket, key = batch_requests.split_s3(uri)
    try:
        size = int(s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
    except Exception:
        return
    if size <= MAX_DOWNLOAD:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        right.download_button("Output file (JSON lines)", body, key.rsplit("/", 1)[-1], "application/json",
                              key="batch_dl_output")
    else:
        right.caption(f"The output file is {size / 1e6:,.0f} MB: download it from {code(uri)}.")
