"""The app's state as the tests read it, typed: a TestClient's ``AppState`` and its cookie codec."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.web.app_state import AppState
from app.web.walk_store import CookieWalkStore
from app.web.walk_token import TokenCodec


def state_of(client: TestClient) -> AppState:
    """The AppState create_app gave the client's app."""
    app = client.app
    assert isinstance(app, FastAPI)
    state: AppState = app.state.pathway
    return state


def codec_of(client: TestClient) -> TokenCodec:
    """The codec of the app's cookie store, to make a walk's token as the app would."""
    store = state_of(client).walk_store
    assert isinstance(store, CookieWalkStore)
    return store.codec
