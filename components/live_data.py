"""The "Titles and history" panel of a live campaign: take, show and refresh the dataset group's snapshot.

Personalize cannot read a dataset back, so the console reads the files the dataset group's import
jobs imported (S3, with the sidebar's region and profile) or a CSV the user uploads, and keeps a
local Parquet snapshot per dataset group (`scoring.live_data`). The panel says where the snapshot
is, what was read and when; it never shows credentials.
"""

from __future__ import annotations

import io
from typing import Any

import streamlit as st

import scoring.aws
from components import errors, read_only, sources, user_data
from components.safe_text import md
from components.sidebar import Selection
from scoring import live_data

#: IAM actions a snapshot from S3 needs, as the README lists them.
IAM_ACTIONS = ("personalize:ListDatasets", "personalize:ListDatasetImportJobs",
               "personalize:DescribeDatasetImportJob", "s3:ListBucket", "s3:GetObject")
_NOTE = "_live_data_note"


@st.cache_resource(show_spinner=False)
def _s3(region: str | None, profile: str | None) -> Any:
    """S3 with the sidebar's region and profile (the Personalize endpoint URL is not S3's)."""
    return scoring.aws.live_client("s3", region, profile, None)


def _from_s3(config: sources.SourceConfig, control: Any, dataset_group_arn: str) -> None:
    folder = user_data.snapshot_folder(dataset_group_arn)
    try:
        with st.spinner("Reading the dataset group's import files from S3…"):
            taken = live_data.take_from_s3(folder, control, _s3(config.region, config.profile), dataset_group_arn)
    except Exception as exc:
        st.session_state[_NOTE] = ("error", exc)
        return
    st.session_state[_NOTE] = ("success", "Read " + "; ".join(
        f"{t.dataset}: {t.rows:,} rows from {len(t.sources)} file(s)" for t in taken) + ".")


def _from_uploads(dataset_group_arn: str) -> None:
    folder = user_data.snapshot_folder(dataset_group_arn)
    done = []
    try:
        for dataset in live_data.DATASETS:
            upload = st.session_state.get(f"live_upload_{dataset.lower()}")
            if upload is None:
                continue
            # A copy to read: the upload stays open in the widget for the next press.
            taken = live_data.take(folder, dataset, [live_data.Input(
                f"upload: {upload.name}", lambda upload=upload: io.BytesIO(upload.getvalue()))])
            done.append(f"{dataset}: {taken.rows:,} rows")
    except Exception as exc:
        st.session_state[_NOTE] = ("error", exc)
        return
    st.session_state[_NOTE] = ("success", "Read " + "; ".join(done) + "." if done else
                               "Choose an items or interactions CSV file first.")


def _show_note() -> None:
    note = st.session_state.pop(_NOTE, None)
    if note is None:
        return
    kind, what = note
    if kind == "success":
        st.success(md(what), icon=":material/check:")
    elif isinstance(what, live_data.LiveDataError):
        st.error(md(str(what)), icon=":material/error:")
    else:
        errors.show(what)
        st.caption("Reading from S3 needs " + ", ".join(f"`{a}`" for a in IAM_ACTIONS) + ".")


def _describe(snapshot: live_data.Snapshot | None, folder_text: str) -> None:
    if snapshot is None:
        st.caption("No snapshot yet: results show item IDs only, and no user history.")
        return
    for taken in snapshot.datasets.values():
        where = ", ".join(taken.sources[:3]) + (f" and {len(taken.sources) - 3} more" if len(taken.sources) > 3 else "")
        st.caption(f"**{taken.dataset}**: {taken.rows:,} rows from {md(where)}, "
                   f"taken {taken.taken_at:%Y-%m-%d %H:%M} UTC.")
        if taken.skipped:
            st.caption(f"{taken.skipped:,} row(s) with the wrong number of fields were left out "
                       f"(first: {md(taken.note)}).")
    st.caption(f"Cached in {md(folder_text)} (on this machine; delete the folder to forget it).")


def render(selection: Selection, dataset_group_arn: str | None) -> None:
    """The panel (live sources only): the snapshot's state, then the ways to take it again."""
    config = selection.config
    if config.is_local or selection.clients is None:
        return
    control = selection.clients.control
    if not dataset_group_arn:
        st.caption("The campaign's dataset group is unknown, so its titles and history cannot be read.")
        return
    folder = user_data.snapshot_folder(dataset_group_arn)
    snapshot = live_data.read_snapshot(folder)
    with st.expander("Titles and history", expanded=snapshot is None, icon=":material/dataset:"):
        st.caption("Amazon Personalize cannot read its datasets back. The console reads the files your "
                   "dataset import jobs imported from S3, or a CSV you upload, and keeps a snapshot "
                   "here for titles, genres, images, recent interactions and the user picker.")
        _show_note()
        _describe(snapshot, str(folder))
        if read_only.active():
            read_only.note("Taking a snapshot of live data (it writes on this machine)")
            return
        st.button("Refresh from S3" if snapshot else "Read from the import jobs (S3)", key="live_data_s3",
                  icon=":material/cloud_download:", on_click=_from_s3, args=(config, control, dataset_group_arn),
                  help="ListDatasetImportJobs + DescribeDatasetImportJob give the S3 files of the last full "
                       "import and the incremental ones after it; they are streamed, never held whole.")
        items_col, interactions_col = st.columns(2)
        items_col.file_uploader("Items CSV", type=["csv"], key="live_upload_items")
        interactions_col.file_uploader("Interactions CSV", type=["csv"], key="live_upload_interactions")
        st.button("Use the uploaded files", key="live_data_upload", icon=":material/upload:",
                  on_click=_from_uploads, args=(dataset_group_arn,))
