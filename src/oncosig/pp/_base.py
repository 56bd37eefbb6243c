"""Base class of the fit/transform preprocessing steps.

A step reads a matrix from ``adata.layers[layer]`` (or ``adata.X`` when ``layer`` is
``None``), learns its state on the training samples in :meth:`Preprocessor.fit`, and
writes its result into ``adata.X`` or ``adata.layers[out_layer]`` in
:meth:`Preprocessor.transform`.  The state is a flat dict of plain arrays, lists, numbers
and strings (:meth:`Preprocessor.state_dict`) so a checkpoint can store it; a step is
rebuilt with :meth:`Preprocessor.from_state`.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any, ClassVar, Self

import numpy as np
from anndata import AnnData

from oncosig._constants import COUNTS_LAYER
from oncosig._errors import OncosigInputError

logger = logging.getLogger(__name__)

StateValue = np.ndarray | list[Any] | float | int | str | bool | None
State = dict[str, StateValue]

_REGISTRY: dict[str, type[Preprocessor]] = {}


def get_matrix(adata: AnnData, layer: str | None, *, allow_nan: bool = True) -> np.ndarray:
    """Return ``adata.layers[layer]`` (or ``X``) as a dense float64 samples x genes array.

    Raises
    ------
    OncosigInputError
        If the layer is absent, holds infinite / negative-count values where not allowed,
        or NaN while ``allow_nan`` is false.
    """
    if not isinstance(adata, AnnData):
        raise TypeError(f"expected an AnnData (samples x genes), got {type(adata).__name__}")
    if layer is None:
        m = adata.X
        where = "adata.X"
    else:
        if layer not in adata.layers:
            raise OncosigInputError(
                f"layer {layer!r} not found (layers: {sorted(adata.layers)}); "
                f"read the data with oncosig.io so raw counts are in layers[{COUNTS_LAYER!r}], "
                "or pass layer=None to use adata.X"
            )
        m = adata.layers[layer]
        where = f"adata.layers[{layer!r}]"
    if m is None:
        raise OncosigInputError(f"{where} is empty")
    if hasattr(m, "toarray"):
        m = m.toarray()
    x = np.array(m, dtype=np.float64, copy=True)
    if np.isinf(x).any():
        raise OncosigInputError(f"{where} contains infinite values; remove them first")
    if not allow_nan and np.isnan(x).any():
        raise OncosigInputError(
            f"{where} contains NaN (genes missing after align_genes?); this step needs complete "
            "data: drop the missing genes or impute them before it"
        )
    return x


class Preprocessor:
    """Base class: fit on training samples, transform any samples with the same genes.

    Parameters
    ----------
    layer
        Input layer; ``None`` reads ``adata.X``.
    out_layer
        Output layer; ``None`` writes ``adata.X``.
    """

    name: ClassVar[str] = "base"
    default_layer: ClassVar[str | None] = None
    config_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, layer: str | None = None, out_layer: str | None = None) -> None:
        self.layer = layer
        self.out_layer = out_layer
        self.genes_: list[str] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.name] = cls

    # --- to implement -----------------------------------------------------------------
    def _fit(self, x: np.ndarray, adata: AnnData) -> None:
        """Learn the state from the training matrix."""

    def _transform(self, x: np.ndarray, adata: AnnData) -> np.ndarray:
        raise NotImplementedError

    def _state(self) -> State:
        return {}

    def _load_state(self, state: State) -> None:
        """Restore the learned arrays from ``state``."""

    # --- public -----------------------------------------------------------------------
    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` (or :meth:`from_state`) has run."""
        return self.genes_ is not None

    def fit(self, adata: AnnData) -> Self:
        """Learn the step's state from the (training) samples in ``adata``.

        Returns
        -------
        ``self``
        """
        x = get_matrix(adata, self.layer, allow_nan=self._allow_nan_fit)
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise OncosigInputError(f"cannot fit {self.name} on an empty matrix {x.shape}")
        self._fit(x, adata)
        self.genes_ = [str(g) for g in adata.var_names]
        return self

    _allow_nan_fit: ClassVar[bool] = False
    _allow_nan_transform: ClassVar[bool] = True

    def _aligned(self, adata: AnnData) -> np.ndarray:
        if self.genes_ is None:
            raise OncosigInputError(f"{self.name} is not fitted; call fit() on training data first")
        x = get_matrix(adata, self.layer, allow_nan=self._allow_nan_transform)
        names = [str(g) for g in adata.var_names]
        if names != self.genes_:
            missing = [g for g in self.genes_ if g not in set(names)]
            if missing or len(names) != len(self.genes_):
                raise OncosigInputError(
                    f"{self.name} was fitted on {len(self.genes_)} genes but the data has "
                    f"{len(names)} ({len(missing)} of the fitted genes absent, e.g. "
                    f"{missing[:3]}); align the genes first with oncosig.genes.align_genes"
                )
        return x

    def transform(self, adata: AnnData, *, copy: bool = False) -> AnnData | None:
        """Apply the fitted step, unchanged, to ``adata`` (training or held-out samples).

        Parameters
        ----------
        adata
            Samples x genes with the genes the step was fitted on (same order).
        copy
            Return a modified copy instead of writing into ``adata``.

        Returns
        -------
        The copy when ``copy`` is true, else ``None``.
        """
        x = self._aligned(adata)
        out = self._transform(x, adata)
        target = adata.copy() if copy else adata
        self._write(target, out)
        return target if copy else None

    def fit_transform(self, adata: AnnData, *, copy: bool = False) -> AnnData | None:
        """:meth:`fit` then :meth:`transform` on the same samples."""
        return self.fit(adata).transform(adata, copy=copy)

    def transform_array(self, adata: AnnData) -> np.ndarray:
        """The transformed matrix, without writing it anywhere."""
        return self._transform(self._aligned(adata), adata)

    def _write(self, adata: AnnData, out: np.ndarray) -> None:
        if self.out_layer is None:
            adata.X = out
        else:
            adata.layers[self.out_layer] = out

    def state_dict(self) -> State:
        """Configuration and learned state as plain arrays / lists / numbers / strings."""
        if self.genes_ is None:
            raise OncosigInputError(f"{self.name} is not fitted; nothing to save")
        state: State = {
            "kind": self.name,
            "layer": self.layer,
            "out_layer": self.out_layer,
            "genes": list(self.genes_),
        }
        for k in self.config_keys:
            state[k] = getattr(self, k)
        state.update(self._state())
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Preprocessor:
        """Rebuild a fitted step from :meth:`state_dict` output.

        Called on the base class, the ``"kind"`` entry picks the subclass.
        """
        kind = str(state.get("kind", cls.name))
        klass = _REGISTRY.get(kind)
        if klass is None or (cls is not Preprocessor and klass is not cls):
            raise OncosigInputError(
                f"state is for preprocessing step {kind!r}, not {cls.name!r}; "
                f"known steps: {sorted(k for k in _REGISTRY if k != 'base')}"
            )
        kwargs = {k: _plain(state[k]) for k in klass.config_keys if k in state}
        kwargs["layer"] = _opt_str(state.get("layer"))
        if "out_layer" in inspect.signature(klass.__init__).parameters:
            kwargs["out_layer"] = _opt_str(state.get("out_layer"))
        obj = klass(**kwargs)
        obj.genes_ = [str(g) for g in list(state["genes"])]  # type: ignore[call-overload]
        obj._load_state(state)
        return obj

    def __repr__(self) -> str:
        cfg = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.config_keys)
        io = f"layer={self.layer!r}, out_layer={self.out_layer!r}"
        return f"{type(self).__name__}({cfg + ', ' if cfg else ''}{io})"


def _opt_str(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, list):
        v = v[0] if v else None
    return None if v is None else str(v)


def _plain(v: Any) -> Any:
    if isinstance(v, np.ndarray) and v.ndim == 0:
        return v.item()
    if isinstance(v, np.generic):
        return v.item()
    return v


def as_array(v: Any) -> np.ndarray:
    """State entry -> float64 array."""
    return np.asarray(v, dtype=np.float64)
