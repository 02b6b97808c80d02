"""The Local models page's pieces: the list of local groups, the new-group form, training, delete.

Everything here is about the folders under the data root, whatever source the sidebar shows.
After a group is created or deleted the Streamlit caches are cleared: cached clients and
campaign lists are keyed by group name, and a recreated group must not be served from the
old ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from components import campaign_view, sidebar
from components.safe_text import md
from scoring import importing, paths, recipes, user_groups
from scoring.training import EPOCHS

UPLOAD = "Upload files"
FOLDER = "Folder on the server"
CUSTOM = "Custom (campaigns only)"
_CREATED = "_local_models_created"
_REPORT = "_local_models_report"
_FLASH = "_local_models_flash"
NDCG10 = user_groups.NDCG10


@dataclass(frozen=True)
class Request:
    """What the form asks for: uploaded files (by dataset file name) or a folder, and a name."""

    files: dict[str, bytes]
    folder: Path | None
    name: str
    epochs: int
    overwrite: bool
    domain: str | None = None  # VIDEO_ON_DEMAND or ECOMMERCE: the group also gets its recommenders

    @property
    def origin(self) -> str:
        return str(self.folder) if self.folder is not None else "upload"

    def validate(self) -> tuple[importing.ImportReport, dict[str, bytes]]:
        """The validation report and the files to import."""
        if self.folder is None:
            return importing.validate_files(self.files), self.files
        report = importing.validate_directory(self.folder)
        return report, importing.read_directory(self.folder)[0] if report.ok else {}


# -- the list ----------------------------------------------------------------------------------
def groups_frame(groups: list[user_groups.GroupSummary]) -> pd.DataFrame:
    """One row per group: sizes, when it was trained, NDCG@10 against popularity."""
    def ratio(s: user_groups.GroupSummary) -> float | None:
        model, base = s.metrics.get(NDCG10), s.baseline.get(NDCG10)
        return model / base if model is not None and base else None

    return pd.DataFrame({
        "Dataset group": [s.name + (" (demo)" if s.is_demo else "") for s in groups],
        "Items": pd.array([s.items for s in groups], dtype="Int64"),
        "Users": pd.array([s.users for s in groups], dtype="Int64"),
        "Interactions": pd.array([s.interactions for s in groups], dtype="Int64"),
        "Context keys": [", ".join(s.context_keys) or "—" for s in groups],
        "Trained at": [s.trained_at.strftime("%Y-%m-%d %H:%M") if s.trained_at else "—"
                       for s in groups],
        "NDCG@10": pd.array([s.metrics.get(NDCG10) for s in groups], dtype="Float64"),
        "Popularity NDCG@10": pd.array([s.baseline.get(NDCG10) for s in groups], dtype="Float64"),
        "× popularity": pd.array([ratio(s) for s in groups], dtype="Float64"),
    })


def groups_panel() -> list[user_groups.GroupSummary]:
    groups = user_groups.summaries()
    st.subheader(f"Dataset groups on this machine ({len(groups)})")
    if not groups:
        st.info(f"No local dataset groups under {md(paths.DATA_ROOT)} yet: create one below.")
        return groups
    st.dataframe(groups_frame(groups), hide_index=True, key="local_groups", column_config={
        "NDCG@10": st.column_config.NumberColumn(format="%.4f"),
        "Popularity NDCG@10": st.column_config.NumberColumn("Popularity", format="%.4f",
                                                            help="NDCG@10 of the popularity "
                                                                 "baseline, same split"),
        "× popularity": st.column_config.NumberColumn("×", format="%.2f"),
        "Context keys": st.column_config.TextColumn("Context"),
    })
    for g in groups:
        if g.problem:
            st.warning(f"**{md(g.name)}**: {md(g.problem)}", icon=":material/warning:")
    st.caption("NDCG@10 with Personalize's evaluation protocol (a tenth of the users held out, "
               "their newest interactions predicted), beside the popularity baseline on the same "
               "split. Pick a group in the sidebar's **Dataset "
               "group** box (source *Local*) to test its campaigns.")
    return groups


# -- the form ----------------------------------------------------------------------------------
def _uploads() -> dict[str, bytes]:
    interactions = st.file_uploader("interactions.csv (required)", type=["csv"],
                                    key="lm_interactions",
                                    help="USER_ID, ITEM_ID, TIMESTAMP (Unix seconds), optional "
                                         "EVENT_TYPE, EVENT_VALUE and context columns such as DEVICE.")
    left, right = st.columns(2)
    items = left.file_uploader("items.csv (optional)", type=["csv"], key="lm_items",
                               help="ITEM_ID plus metadata columns, e.g. GENRES \"Action|Comedy\".")
    users = right.file_uploader("users.csv (optional)", type=["csv"], key="lm_users",
                                help="USER_ID plus metadata columns.")
    files = {name: upload.getvalue() for name, upload in (
        (paths.INTERACTIONS_FILE, interactions), (paths.ITEMS_FILE, items),
        (paths.USERS_FILE, users)) if upload is not None}
    given = st.file_uploader("Schemas (optional)", type=["json"], accept_multiple_files=True,
                             key="lm_schemas",
                             help="The JSON that CreateSchema takes, one file per dataset (its "
                                  "\"name\" says which: Interactions, Items or Users). Without "
                                  "one, the schema is inferred from the data.")
    for upload in given or []:
        files[upload.name] = upload.getvalue()  # a .json name: importing reads it as a schema
    return files


def request_form() -> Request | None:
    """The new-group form; returns the request when "Validate and train" was pressed."""
    source = st.radio("Data from", [UPLOAD, FOLDER], key="lm_source", horizontal=True)
    files: dict[str, bytes] = {}
    folder: Path | None = None
    suggested = "my-data"
    if source == UPLOAD:
        files = _uploads()
    else:
        typed = st.text_input("Folder", key="lm_folder",
                              placeholder="/path/to/folder with interactions.csv",
                              help="A folder on the machine running the console, holding "
                                   "interactions.csv and optionally items.csv and users.csv.")
        if typed.strip():
            folder = Path(typed.strip()).expanduser()
            suggested = user_groups.suggested_name(folder.name)
    name_col, epochs_col = st.columns([3, 1])
    name = name_col.text_input("Dataset group name", key="lm_name", placeholder=suggested,
                               help="Letters, digits, '-' and '_' (at most 63). Its campaigns are "
                                    "named <name>-user-personalization, ...")
    epochs = epochs_col.number_input("Epochs", min_value=1, max_value=50, value=EPOCHS, step=1,
                                     key="lm_epochs", help="Passes over the interactions.")
    domain = st.selectbox("Domain", [CUSTOM, *recipes.DOMAINS], key="lm_domain",
                          help="A domain dataset group also gets its domain's recommenders (e.g. Top picks "
                               "for you, Because you watched X), served by the same model.")
    overwrite = st.checkbox("Replace a group of the same name", key="lm_replace")
    if not st.button("Validate and train", key="lm_train", type="primary"):
        return None
    if source == FOLDER and folder is None:
        st.error("Enter the folder that holds interactions.csv.", icon=":material/edit_note:")
        return None
    return Request(files, folder, name.strip() or suggested, int(epochs), overwrite,
                   None if domain == CUSTOM else domain)


# -- validation and training --------------------------------------------------------------------
def show_report(report: importing.ImportReport) -> None:
    """The validation verdict: counts when the data is good, the problems table when not; then
    the odd rows the import handled, and the schemas it used."""
    if report.ok:
        st.success(f"The files are valid: {md(report.summary())}.", icon=":material/check_circle:")
    else:
        st.error(f"The data was refused, nothing was trained: {report.total_problems:,} problem(s) "
                 "to fix (line 1 is the header).", icon=":material/rule:")
        _line_table(report.table(), "import_problems", "Problem")
        if report.more:
            st.caption(f"… and {report.more:,} more problem(s) not listed: fix these and check again.")
        if report.counts:
            st.caption(f"Read so far: {md(report.summary())}.")
    show_notes(report)
    show_schemas(report)


def show_notes(report: importing.ImportReport) -> None:
    """Every odd row the import handled, with what it did, and the note that these are our choices."""
    if not report.total_notes:
        return
    st.warning(f"{report.total_notes:,} odd row(s) were imported as listed below (line 1 is the "
               "header).", icon=":material/playlist_add_check:")
    _line_table(report.notes_table(), "import_notes", "What was done")
    if report.more_notes:
        st.caption(f"… and {report.more_notes:,} more odd row(s) not listed.")
    st.caption(md(importing.UNDOCUMENTED))


def _line_table(frame: pd.DataFrame, key: str, text_column: str) -> None:
    """A table of rows by file and line, its text column wide: the problems, or the odd rows."""
    st.dataframe(frame, hide_index=True, key=key,
                 column_config={"Line": st.column_config.NumberColumn(format="%d"),
                                text_column: st.column_config.TextColumn(width="large")})


def show_schemas(report: importing.ImportReport) -> None:
    """The Avro schemas the import used: given ones as they were, inferred ones as inferred."""
    if not report.schemas:
        return
    kinds = ", ".join(f"{kind} {'given' if s.given else 'inferred'}" for kind, s in report.schemas.items())
    with st.expander(f"Schemas ({kinds})"):
        st.dataframe(report.schema_table(), hide_index=True, key="import_schemas")
        st.caption("Inferred schemas: a column is a number when at least 99 % of its values are "
                   "numbers (the rest are imported as empty); interactions columns other than "
                   "Personalize's reserved ones are categorical strings (context keys). Give your "
                   "own schema as CreateSchema's JSON to decide the types yourself.")


def create(request: Request) -> None:
    """Validate, then train with a progress bar; remember the result and rerun (sidebar refresh)."""
    st.session_state.pop(_CREATED, None)
    st.session_state.pop(_REPORT, None)
    problem = user_groups.name_problem(request.name)
    if problem:
        st.error(md(problem), icon=":material/edit_note:")
        return
    report, files = request.validate()
    if not report.ok:
        st.session_state[_REPORT] = report  # shown by report_panel, until the next attempt
        return
    bar = st.progress(0.0, text="Starting…")

    def progress(fraction: float, what: str) -> None:
        bar.progress(fraction, text=f"{what}… {fraction:.0%}")

    try:
        created = user_groups.create_group(
            files, request.name, overwrite=request.overwrite, progress=progress,
            settings=user_groups.TrainingSettings(epochs=request.epochs, domain=request.domain),
            origin=request.origin)
    except user_groups.InvalidData as exc:  # the folder changed since the check above
        bar.empty()
        st.session_state[_REPORT] = exc.report
        return
    except user_groups.GroupError as exc:
        bar.empty()
        st.error(md(exc), icon=":material/error:")
        return
    st.session_state[_CREATED] = created
    st.cache_data.clear()  # campaign lists and details are keyed by group name
    st.cache_resource.clear()  # so are the local clients: a recreated group needs new ones
    st.rerun()


def _select(name: str, campaign_arn: str) -> None:
    """Callback (runs before the sidebar is drawn): point the sidebar at the new campaign."""
    st.session_state["source"] = sidebar.LOCAL_LABEL
    st.session_state["local_group"] = name
    st.session_state["campaign_arn"] = campaign_arn


def created_panel() -> None:
    """The group trained on the previous run: its metrics, and a way to open its campaign."""
    created: user_groups.Created | None = st.session_state.get(_CREATED)
    if created is None:
        return
    st.success(f"Dataset group **{md(created.name)}** is ready ({md(created.report.summary())}); "
               f"trained in {created.training_seconds:.1f} s.", icon=":material/check_circle:")
    campaign_view.show_metrics(campaign_view.metrics_frame(created.metrics, created.baseline),
                               "created_metrics")
    show_notes(created.report)
    show_schemas(created.report)
    if st.button(f"Open {md(created.name)}-user-personalization", key="lm_open",
                 icon=":material/open_in_new:", on_click=_select,
                 args=(created.name, created.campaign_arn)):
        st.switch_page("pages/campaign.py")


def report_panel() -> None:
    """The last refused attempt's problems, until the next attempt."""
    report: importing.ImportReport | None = st.session_state.get(_REPORT)
    if report is not None:
        show_report(report)


# -- delete -------------------------------------------------------------------------------------
def delete_panel(groups: list[user_groups.GroupSummary]) -> None:
    """Delete a user group after typing its name (the demo group is not offered)."""
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        st.success(flash, icon=":material/delete:")
    names = [g.name for g in groups if not g.is_demo]
    with st.expander("Delete a dataset group"):
        if not names:
            st.caption("No user dataset groups to delete (the demo group cannot be deleted).")
            return
        name = st.selectbox("Dataset group", names, key="lm_delete_name")
        typed = st.text_input(f"Type {md(name)} to confirm", key="lm_delete_confirm")
        if st.button("Delete permanently", key="lm_delete", type="primary",
                     disabled=typed.strip() != name, icon=":material/delete:"):
            _delete(name)


def _delete(name: str) -> None:
    try:
        path = user_groups.delete_group(name)
    except user_groups.GroupError as exc:
        st.error(md(exc), icon=":material/error:")
        return
    created: Any = st.session_state.get(_CREATED)
    if created is not None and created.name == name:
        st.session_state.pop(_CREATED, None)
    st.session_state[_FLASH] = f"Deleted the dataset group {md(name)} ({md(path)})."
    st.cache_data.clear()
    st.cache_resource.clear()
    st.rerun()
