"""Model registry: every network and baseline, created by name."""

from oncosig.models._registry import create_model, get_entry, list_models, register_model

__all__ = ["create_model", "get_entry", "list_models", "register_model"]
