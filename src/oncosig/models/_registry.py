"""One registry that creates every network and baseline by name (the timm habit).

Networks (``torch.nn.Module``) register with ``family="network"`` and must provide
``forward_features``, ``forward_head`` and ``reset_classifier``; classical baselines
register with ``family="baseline"`` and return a scikit-learn compatible estimator.

Examples
--------
>>> from oncosig.models import create_model, list_models
>>> list_models(family="network")  # doctest: +SKIP
['densenet121', 'genexnet', ...]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Family = Literal["network", "baseline"]


@dataclass(frozen=True)
class ModelEntry:
    """A registered constructor."""

    name: str
    family: Family
    task: str  # "sample" (GeneXNet-style, samples x genes) or "gene" (DEGnext-style)
    factory: Callable[..., Any]
    description: str


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(
    name: str, *, family: Family, task: str, description: str = ""
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator that registers a model constructor under ``name``."""

    def deco(factory: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY:
            raise ValueError(f"model name '{name}' is registered twice")
        doc = description or (factory.__doc__ or "").strip().splitlines()[0:1]
        _REGISTRY[name] = ModelEntry(
            name, family, task, factory, doc if isinstance(doc, str) else "".join(doc)
        )
        return factory

    return deco


def _ensure_loaded() -> None:
    # Importing the model packages runs their @register_model decorators.
    import importlib

    for mod in ("oncosig.models.networks", "oncosig.models.baselines"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:  # pragma: no cover - partial installs
            if exc.name != mod:
                raise


def list_models(*, family: Family | None = None, task: str | None = None) -> list[str]:
    """Names of registered models, optionally filtered by family and task."""
    _ensure_loaded()
    return sorted(
        n
        for n, e in _REGISTRY.items()
        if (family is None or e.family == family) and (task is None or e.task == task)
    )


def get_entry(name: str) -> ModelEntry:
    """The registry entry for ``name``; raises ``ValueError`` listing valid names."""
    _ensure_loaded()
    if name not in _REGISTRY:
        raise ValueError(f"unknown model '{name}'; choose one of: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def create_model(name: str, **kwargs: Any) -> Any:
    """Create a registered network or baseline by name with keyword configuration."""
    return get_entry(name).factory(**kwargs)
