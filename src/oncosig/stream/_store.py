"""On-disk expression store: a samples x genes matrix in an ``.h5ad`` file, row-chunked.

The store is an ordinary AnnData file (``anndata.read_h5ad(path, backed="r")`` opens it);
its matrix is a dense HDF5 dataset chunked by whole rows, so reading a block of samples
touches only the chunks of those samples.  :class:`StoreWriter` builds one block of rows
at a time (the full matrix never has to be in memory); :func:`write_store` copies any
AnnData (in memory or backed) that way.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np
import pandas as pd
from anndata import AnnData
from anndata.io import read_elem, sparse_dataset, write_elem

from oncosig._atomic import atomic_path, check_can_write
from oncosig._constants import COUNTS_LAYER, UNS_VALUE_KIND
from oncosig._errors import OncosigInputError

logger = logging.getLogger(__name__)

STORE_DTYPES = {"float32": np.float32, "float16": np.float16}
CHUNK_BYTES = 4 * 2**20  # target size of one HDF5 chunk (whole rows)


def default_chunk_rows(n_vars: int, itemsize: int = 4) -> int:
    """Rows per HDF5 chunk: about 4 MiB of whole rows, between 1 and 256."""
    return int(min(256, max(1, CHUNK_BYTES // max(1, n_vars * itemsize))))


def contiguous_runs(rows: np.ndarray) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` runs of consecutive values in sorted ``rows``."""
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    starts = np.concatenate([[0], breaks])
    stops = np.concatenate([breaks, [rows.size]])
    return [(int(rows[a]), int(rows[b - 1]) + 1) for a, b in zip(starts, stops, strict=True)]


class ExpressionStore:
    """Row access to the samples x genes matrix of an ``.h5ad`` file, without loading it.

    Safe to hand to DataLoader workers and DDP processes: the HDF5 file is (re)opened
    lazily in each process and never pickled.

    Parameters
    ----------
    path
        ``.h5ad`` file (written by :class:`StoreWriter`, :func:`write_store` or
        ``AnnData.write_h5ad``).
    key
        HDF5 path of the matrix: ``"X"`` or ``"layers/counts"``; a dense dataset (fast,
        row-chunked) or a CSR group.
    """

    def __init__(self, path: str | Path, *, key: str = "X") -> None:
        self.path = Path(path)
        self.key = key
        if not self.path.is_file():
            raise OncosigInputError("expression store not found", path=self.path)
        try:
            with h5py.File(self.path, "r") as f:
                if key not in f:
                    raise OncosigInputError(
                        f"the file has no matrix '{key}'; write it with oncosig.stream.write_store",
                        path=self.path,
                    )
                node = f[key]
                if isinstance(node, h5py.Dataset):
                    self.sparse = False
                    self.shape = (int(node.shape[0]), int(node.shape[1]))
                    self.dtype = np.dtype(node.dtype)
                    self.chunk_rows = int(node.chunks[0]) if node.chunks else None
                else:
                    enc = str(node.attrs.get("encoding-type", ""))
                    if enc != "csr_matrix":
                        raise OncosigInputError(
                            f"matrix '{key}' is {enc or 'not an array'}; only dense or CSR "
                            "matrices can be streamed by rows (rewrite it with write_store)",
                            path=self.path,
                        )
                    self.sparse = True
                    self.shape = tuple(int(v) for v in node.attrs["shape"])  # type: ignore[assignment]
                    self.dtype = np.dtype(node["data"].dtype)
                    self.chunk_rows = None
                self.obs_names = pd.Index(read_elem(f["obs"]).index.astype(str))
                self.var_names = pd.Index(read_elem(f["var"]).index.astype(str))
        except OSError as exc:
            raise OncosigInputError(
                f"cannot read the expression store: {exc}", path=self.path
            ) from exc
        self._file: h5py.File | None = None
        self._pid = -1

    # -- shape --------------------------------------------------------------------------
    @property
    def n_obs(self) -> int:
        """Number of samples (rows)."""
        return self.shape[0]

    @property
    def n_vars(self) -> int:
        """Number of genes (columns)."""
        return self.shape[1]

    def __len__(self) -> int:
        return self.n_obs

    def __repr__(self) -> str:
        return f"ExpressionStore('{self.path}', key='{self.key}', shape={self.shape}, dtype={self.dtype})"

    # -- process-local file handle --------------------------------------------------------
    def _node(self) -> Any:
        if self._file is None or self._pid != os.getpid():
            # a chunk cache of a few chunks: row blocks are read once per epoch
            self._file = h5py.File(self.path, "r", rdcc_nbytes=4 * CHUNK_BYTES)
            self._pid = os.getpid()
        node = self._file[self.key]
        return sparse_dataset(node) if self.sparse else node

    def close(self) -> None:
        """Close this process's file handle (reopened on the next read)."""
        if self._file is not None and self._pid == os.getpid():
            with contextlib.suppress(Exception):
                self._file.close()
        self._file = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_file"] = None
        state["_pid"] = -1
        return state

    def columns_of(self, genes: Sequence[str]) -> np.ndarray:
        """Column of each of ``genes`` in the store; ``-1`` where the store lacks it."""
        if self.var_names.has_duplicates:
            raise OncosigInputError(
                "the store has duplicate gene identifiers; make them unique", path=self.path
            )
        pos = self.var_names.get_indexer([str(g) for g in genes])
        if len(pos) and (pos < 0).all():
            raise OncosigInputError(
                "the on-disk data share no gene identifier with the model; harmonise them "
                "(oncosig.genes.align_genes) before writing the store",
                path=self.path,
            )
        if (pos < 0).any():
            logger.warning(
                "%d of %d genes are missing from %s; they carry no signal",
                int((pos < 0).sum()),
                pos.size,
                self.path,
            )
        return pos.astype(np.int64)

    # -- reading ------------------------------------------------------------------------
    def read(self, rows: np.ndarray | Sequence[int], *, dtype: Any = np.float32) -> np.ndarray:
        """Rows ``rows`` (any order, duplicates allowed) as a dense ``(len(rows), n_vars)`` array.

        Rows are read as sorted contiguous runs (one HDF5 slice each), then put back in
        the requested order.
        """
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size and (rows.min() < 0 or rows.max() >= self.n_obs):
            raise IndexError(f"row index out of range for a store of {self.n_obs} rows")
        uniq, inverse = np.unique(rows, return_inverse=True)
        node = self._node()
        parts = []
        for a, b in contiguous_runs(uniq):
            block = node[a:b]
            if self.sparse:
                block = block.toarray()
            parts.append(np.asarray(block, dtype=dtype))
        if not parts:
            return np.zeros((0, self.n_vars), dtype=dtype)
        out = np.concatenate(parts, axis=0) if len(parts) > 1 else parts[0]
        if uniq.size == rows.size and np.array_equal(uniq, rows):
            return out
        return out[inverse.ravel()]

    def read_slice(self, start: int, stop: int, *, dtype: Any = np.float32) -> np.ndarray:
        """Rows ``start:stop`` as a dense array."""
        return self.read(np.arange(start, min(stop, self.n_obs)), dtype=dtype)

    def iter_blocks(
        self, *, block_rows: int | None = None, rows: np.ndarray | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(row_indices, float64 block)`` over ``rows`` (default all), in sorted order."""
        yield from _iter_blocks(self, block_rows=block_rows, rows=rows)

    def to_anndata(self) -> AnnData:
        """The file opened with ``anndata.read_h5ad(path, backed="r")`` (matrix stays on disk)."""
        import anndata

        return anndata.read_h5ad(self.path, backed="r")


class ArraySource:
    """The in-memory counterpart of :class:`ExpressionStore` (a dense or sparse matrix)."""

    def __init__(self, matrix: Any) -> None:
        if getattr(matrix, "ndim", 0) != 2:
            raise OncosigInputError("expected a samples x genes matrix")
        self.matrix = matrix
        self.shape = (int(matrix.shape[0]), int(matrix.shape[1]))
        self.chunk_rows: int | None = None

    @property
    def n_obs(self) -> int:
        """Number of samples (rows)."""
        return self.shape[0]

    @property
    def n_vars(self) -> int:
        """Number of genes (columns)."""
        return self.shape[1]

    def __len__(self) -> int:
        return self.n_obs

    def read(self, rows: np.ndarray | Sequence[int], *, dtype: Any = np.float32) -> np.ndarray:
        """Rows ``rows`` as a dense array of ``dtype``."""
        block = self.matrix[np.asarray(rows, dtype=np.int64)]
        if hasattr(block, "toarray"):
            block = block.toarray()
        return np.asarray(block, dtype=dtype)

    def iter_blocks(
        self, *, block_rows: int | None = None, rows: np.ndarray | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(row_indices, float64 block)`` over ``rows`` (default all)."""
        yield from _iter_blocks(self, block_rows=block_rows, rows=rows)


RowSource = ExpressionStore | ArraySource


def _iter_blocks(
    source: RowSource, *, block_rows: int | None, rows: np.ndarray | None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    idx = np.arange(source.n_obs) if rows is None else np.sort(np.asarray(rows, dtype=np.int64))
    if block_rows is None:
        # about 64 MiB of float64 per block
        block_rows = max(1, (64 * 2**20) // max(1, source.n_vars * 8))
    for i in range(0, idx.size, block_rows):
        sel = idx[i : i + block_rows]
        yield sel, source.read(sel, dtype=np.float64)


def as_source(data: Any) -> RowSource:
    """A row source for ``data``: a store path, a backed or in-memory AnnData, or a matrix.

    Counts are taken from ``layers['counts']`` where present, else from ``X`` (the GeneXNet
    convention); a backed AnnData is streamed from its file, never loaded.
    """
    if isinstance(data, ExpressionStore | ArraySource):
        return data
    if isinstance(data, str | os.PathLike):
        return ExpressionStore(Path(data), key=_counts_key(Path(data)))
    if isinstance(data, AnnData):
        if data.isbacked:
            path = Path(data.filename)  # type: ignore[arg-type]
            if data.is_view:
                raise OncosigInputError(
                    "a view of a backed AnnData cannot be streamed; pass the whole backed "
                    "AnnData and select samples with rows=..."
                )
            return ExpressionStore(path, key=_counts_key(path))
        if COUNTS_LAYER in data.layers:
            return ArraySource(data.layers[COUNTS_LAYER])
        return ArraySource(data.X)
    if hasattr(data, "shape") and len(data.shape) == 2:
        return ArraySource(data)
    raise TypeError(
        f"expected a store path, an AnnData or a samples x genes matrix, got {type(data).__name__}"
    )


def _counts_key(path: Path) -> str:
    try:
        with h5py.File(path, "r") as f:
            return f"layers/{COUNTS_LAYER}" if f"layers/{COUNTS_LAYER}" in f else "X"
    except OSError as exc:
        raise OncosigInputError(f"cannot open as an .h5ad store: {exc}", path=path) from exc


def is_on_disk(data: Any) -> bool:
    """True for a store path, an :class:`ExpressionStore` or a backed AnnData."""
    if isinstance(data, ExpressionStore | str | os.PathLike):
        return True
    return isinstance(data, AnnData) and bool(data.isbacked)


def open_store(path: str | Path, *, key: str | None = None) -> ExpressionStore:
    """Open an expression store (counts from ``layers/counts`` where present, else ``X``)."""
    p = Path(path)
    return ExpressionStore(p, key=key or _counts_key(p))


class StoreWriter:
    """Build an expression store one block of rows at a time.

    Parameters
    ----------
    path
        Output ``.h5ad`` file (written atomically: it appears only when the writer closes
        without error).
    var
        Gene names, or a ``var`` DataFrame indexed by gene.
    n_obs
        Number of rows, when known (the dataset is then allocated once); otherwise it grows.
    dtype
        ``"float32"`` or ``"float16"`` (half the disk; exact for integer counts up to 2,048).
    chunk_rows
        Rows per HDF5 chunk (default: about 4 MiB of whole rows).
    value_kind
        Stored in ``uns['value_kind']`` (``"counts"`` or ``"normalized"``).
    uns
        Extra unstructured metadata.
    overwrite
        Replace an existing file.

    Examples
    --------
    >>> with StoreWriter("big.h5ad", var=genes, n_obs=11_000) as w:  # doctest: +SKIP
    ...     for block, names in blocks:
    ...         w.append(block, obs_names=names)
    """

    def __init__(
        self,
        path: str | Path,
        *,
        var: Sequence[str] | pd.Index | pd.DataFrame,
        n_obs: int | None = None,
        dtype: str = "float32",
        chunk_rows: int | None = None,
        value_kind: str = "counts",
        uns: Mapping[str, Any] | None = None,
        overwrite: bool = False,
    ) -> None:
        if dtype not in STORE_DTYPES:
            raise ValueError(f"dtype must be one of {sorted(STORE_DTYPES)}, got {dtype!r}")
        self.path = check_can_write(path, overwrite=overwrite)
        if isinstance(var, pd.DataFrame):
            self.var = var.copy()
        else:
            self.var = pd.DataFrame(index=pd.Index([str(v) for v in var]))
        self.var.index = self.var.index.astype(str)
        if self.var.index.has_duplicates:
            raise OncosigInputError("gene names must be unique to write a store")
        self.n_obs = n_obs
        self.dtype = STORE_DTYPES[dtype]
        n_vars = len(self.var)
        self.chunk_rows = chunk_rows or default_chunk_rows(n_vars, np.dtype(self.dtype).itemsize)
        self.uns = {UNS_VALUE_KIND: value_kind, **dict(uns or {})}
        self._rows = 0
        self._obs: list[pd.DataFrame] = []
        self._stack: contextlib.ExitStack | None = None
        self._file: h5py.File | None = None
        self._ds: h5py.Dataset | None = None

    def __enter__(self) -> StoreWriter:
        self._stack = contextlib.ExitStack()
        tmp = self._stack.enter_context(atomic_path(self.path))
        self._file = h5py.File(tmp, "w")
        n_vars = len(self.var)
        first = self.n_obs if self.n_obs is not None else 0
        self._ds = self._file.create_dataset(
            "X",
            shape=(first, n_vars),
            maxshape=(None, n_vars),
            dtype=self.dtype,
            chunks=(max(1, min(self.chunk_rows, max(first, 1))), n_vars)
            if self.n_obs is not None
            else (self.chunk_rows, n_vars),
        )
        self._ds.attrs["encoding-type"] = "array"
        self._ds.attrs["encoding-version"] = "0.2.0"
        return self

    def append(
        self,
        block: Any,
        *,
        obs_names: Sequence[str] | None = None,
        obs: pd.DataFrame | None = None,
    ) -> None:
        """Write the next rows (a dense or sparse ``(rows, n_vars)`` block).

        Parameters
        ----------
        block
            The values.
        obs_names
            Sample names of these rows (default ``"s<row>"``).
        obs
            Sample annotation of these rows (index = sample names); overrides ``obs_names``.
        """
        if self._ds is None:
            raise RuntimeError("use StoreWriter as a context manager: with StoreWriter(...) as w")
        if hasattr(block, "toarray"):
            block = block.toarray()
        x = np.asarray(block)
        if x.ndim != 2 or x.shape[1] != self._ds.shape[1]:
            raise OncosigInputError(
                f"expected a block of shape (rows, {self._ds.shape[1]}), got {x.shape}"
            )
        start, stop = self._rows, self._rows + x.shape[0]
        if self.n_obs is not None and stop > self.n_obs:
            raise OncosigInputError(f"more rows than the announced n_obs={self.n_obs}")
        if self._ds.shape[0] < stop:
            self._ds.resize(stop, axis=0)
        self._ds[start:stop] = x.astype(self.dtype, copy=False)
        if obs is None:
            names = (
                [f"s{i}" for i in range(start, stop)]
                if obs_names is None
                else [str(n) for n in obs_names]
            )
            obs = pd.DataFrame(index=pd.Index(names))
        if len(obs) != x.shape[0]:
            raise OncosigInputError(f"got {len(obs)} sample names for {x.shape[0]} rows")
        self._obs.append(obs)
        self._rows = stop

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._stack is not None and self._file is not None
        try:
            if exc_type is None:
                if self.n_obs is not None and self._rows != self.n_obs:
                    raise OncosigInputError(
                        f"wrote {self._rows} rows but n_obs={self.n_obs} was announced"
                    )
                self._finish()
        except BaseException as err:
            self._file.close()
            # the temporary file is removed; nothing half-written appears at the path
            self._stack.__exit__(type(err), err, err.__traceback__)
            raise
        self._file.close()
        self._stack.__exit__(exc_type, exc, tb)

    def _finish(self) -> None:
        assert self._file is not None
        obs = pd.concat(self._obs) if self._obs else pd.DataFrame(index=pd.Index([], dtype=str))
        obs.index = obs.index.astype(str)
        if obs.index.has_duplicates:
            raise OncosigInputError("sample names must be unique to write a store")
        f = self._file
        f.attrs["encoding-type"] = "anndata"
        f.attrs["encoding-version"] = "0.1.0"
        write_elem(f, "obs", obs)
        write_elem(f, "var", self.var)
        write_elem(f, "uns", dict(self.uns))
        for name in ("layers", "obsm", "varm", "obsp", "varp"):
            write_elem(f, name, {})
        logger.info("wrote a %d x %d store to %s", self._rows, len(self.var), self.path)


def write_store(
    adata: AnnData,
    path: str | Path,
    *,
    layer: str | None = None,
    dtype: str = "float32",
    chunk_rows: int | None = None,
    block_rows: int | None = None,
    overwrite: bool = False,
) -> ExpressionStore:
    """Copy an AnnData (in memory or backed) into a row-chunked store, block by block.

    Parameters
    ----------
    adata
        Samples x genes.
    path
        Output ``.h5ad`` file.
    layer
        Matrix to store (default: ``layers['counts']`` where present, else ``X``); it
        becomes the store's ``X``.
    dtype, chunk_rows, overwrite
        As in :class:`StoreWriter`.
    block_rows
        Rows copied per step (bounds the memory used).

    Returns
    -------
    The written store, opened.
    """
    if not isinstance(adata, AnnData):
        raise TypeError(f"expected an AnnData, got {type(adata).__name__}")
    if layer is None:
        layer = COUNTS_LAYER if COUNTS_LAYER in adata.layers else None
    if layer is not None and layer not in adata.layers:
        raise OncosigInputError(f"the AnnData has no layer '{layer}'")
    matrix = adata.X if layer is None else adata.layers[layer]
    kind = "counts" if layer == COUNTS_LAYER else str(adata.uns.get(UNS_VALUE_KIND, "counts"))
    step = block_rows or max(1, (64 * 2**20) // max(1, adata.n_vars * 8))
    with StoreWriter(
        path,
        var=adata.var,
        n_obs=adata.n_obs,
        dtype=dtype,
        chunk_rows=chunk_rows,
        value_kind=kind,
        overwrite=overwrite,
    ) as w:
        for i in range(0, adata.n_obs, step):
            w.append(matrix[i : i + step], obs=adata.obs.iloc[i : i + step])
    return ExpressionStore(path)
