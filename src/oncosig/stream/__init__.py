"""Whole-transcriptome scale: on-disk expression stores and batch streaming.

- :class:`StoreWriter`, :func:`write_store`, :func:`open_store`, :class:`ExpressionStore` —
  a samples x genes matrix in a row-chunked ``.h5ad`` file, written and read by blocks of
  rows (an 11,000 x 60,483 matrix never has to be in memory);
- :func:`logcpm_stats`, :func:`select_genes_streaming`, :func:`detection_rate`,
  :func:`library_sizes`, :class:`RunningMoments` — preprocessing statistics in streaming
  passes (float64, Chan's parallel merge), equal to the in-memory fits;
- :class:`RowBatchDataset`, :class:`BlockBatchSampler`, :func:`make_loader`,
  :func:`loader_options` — whole-batch reads for torch DataLoaders, DDP-aware.
"""

from oncosig.stream._dataset import (
    BlockBatchSampler,
    RowBatchDataset,
    loader_options,
    make_loader,
)
from oncosig.stream._stats import (
    RunningMoments,
    detection_rate,
    library_sizes,
    logcpm_stats,
    select_genes_streaming,
)
from oncosig.stream._store import (
    ArraySource,
    ExpressionStore,
    StoreWriter,
    as_source,
    is_on_disk,
    open_store,
    write_store,
)

__all__ = [
    "ArraySource",
    "BlockBatchSampler",
    "ExpressionStore",
    "RowBatchDataset",
    "RunningMoments",
    "StoreWriter",
    "as_source",
    "detection_rate",
    "is_on_disk",
    "library_sizes",
    "loader_options",
    "logcpm_stats",
    "make_loader",
    "open_store",
    "select_genes_streaming",
    "write_store",
]
