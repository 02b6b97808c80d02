"""A "Find a user" picker beside every User ID box: prefix, random, most active, by item or genre.

It fills the User ID box it serves (`target`, a session-state key) and never replaces it: typing
an ID stays possible. Nothing is loaded until a way of finding is chosen, so the page's first
table does not wait for the interactions.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components import user_data
from components.safe_text import md
from scoring import user_picker
from scoring.user_picker import Candidate, UserDirectory


def _use(target: str, choice_key: str) -> None:
    chosen = st.session_state.get(choice_key)
    if chosen:
        st.session_state[target] = chosen


def _candidates(directory: UserDirectory, way: str, key: str) -> list[Candidate] | None:
    """The candidates of the chosen way, or None while its input is still empty."""
    if way == user_picker.PREFIX:
        prefix = st.text_input("User ID starts with", key=f"{key}_prefix", placeholder="e.g. 12")
        return directory.by_prefix(prefix.strip())
    if way == user_picker.RANDOM:
        seed_key = f"{key}_seed"
        st.session_state.setdefault(seed_key, 0)
        if st.button("Draw others", key=f"{key}_draw", icon=":material/casino:", type="tertiary"):
            st.session_state[seed_key] += 1
        return directory.random(seed=st.session_state[seed_key])
    if way == user_picker.MOST_ACTIVE:
        return directory.most_active()
    if way == user_picker.BY_ITEM:
        item = st.text_input("Item ID", key=f"{key}_item", placeholder="e.g. an item from the results")
        return directory.by_item(item.strip()) if item.strip() else None
    genres = directory.genres
    if not genres:
        st.caption("The items have no genre or category column (GENRES, CATEGORY, ...).")
        return None
    genre = st.selectbox(f"Genre ({directory.genre_source})", genres, index=None, key=f"{key}_genre",
                         placeholder="Choose a genre")
    return directory.by_genre(genre) if genre else None


def render(load: Callable[[], user_data.UserData], target: str, *, key: str = "picker",
           live: bool = False) -> None:
    """The picker for the User ID box `target`; `load` gives the source's data when a way is chosen."""
    with st.expander("Find a user", icon=":material/person_search:",
                     expanded=bool(st.session_state.get(f"{key}_way"))):
        way = st.radio("Find", user_picker.WAYS, index=None, key=f"{key}_way", horizontal=True,
                       label_visibility="collapsed")
        if way is None:
            st.caption("Choose how to find a user; each candidate shows how many interactions they have.")
            return
        data = load()
        if data.directory is None:
            st.caption(md(data.problem) if data.problem else
                       "No interactions to look in: take a snapshot under **Titles and history** first."
                       if live else "This dataset group has no interactions to look in.")
            return
        where = "snapshot" if live else "dataset group"
        found = _candidates(data.directory, way, key)
        if found is None:
            return
        if not found:
            st.caption(f"No user of the {where} ({len(data.directory):,} users) matches.")
            return
        labels = {c.user_id: c.label for c in found}
        choice_key = f"{key}_choice"
        if st.session_state.get(choice_key) not in labels:
            st.session_state[choice_key] = found[0].user_id
        st.selectbox(f"{len(found)} of the {where}'s {len(data.directory):,} users", list(labels),
                     format_func=labels.__getitem__, key=choice_key)
        st.button("Use this user", key=f"{key}_use", icon=":material/person_add:", on_click=_use,
                  args=(target, choice_key))
