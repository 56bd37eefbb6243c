"""Torch networks; importing this package registers them.

Contract for every network (checked by ``tests/models/test_contract.py``):

- ``forward(x)`` returns logits ``(batch, num_classes)`` (one logit for a binary head);
- ``forward_features(x)`` returns the last feature map / embedding before pooling+head;
- ``forward_head(features)`` maps those features to logits;
- ``reset_classifier(num_classes)`` replaces the head (transfer learning);
- ``cam_layer`` attribute: the module whose output Grad-CAM reads (last block);
- ``config`` attribute: the keyword arguments that rebuild it (saved in checkpoints).
"""

from oncosig.models.networks import _cnn, _degnext, _genexnet  # noqa: F401
