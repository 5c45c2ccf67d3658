"""Network, Tensor and Layer: the network definition (include/ingot/network.h).

Tensors and layers are owned by their network; their Python wrappers hold a reference to
the Network so that it outlives them. Wrappers compare equal when they wrap the same C
object.
"""
import ctypes

import numpy as np

from . import _lib
from ._enums import (ActivationType, DataType, ElementWiseOperation, LayerType, MatrixOperation,
                     PaddingMode, PadMode, PoolingType, ReduceOperation, ResizeCoordinateTransformation,
                     ResizeMode, ResizeRoundMode, ScaleMode, ScatterMode, ScatterReduction, TopKOperation,
                     UnaryOperation)
from ._enums import RNNActivation, RNNCell, RNNDirection, RNNInput
from ._lib import check, make_dims, make_weights, to_bytes, to_str
from .logger import _handle


class Tensor:
    """A tensor of a network (an input, a layer output or a constant)."""

    __slots__ = ("_network", "_ptr", "__weakref__")

    def __init__(self, network, ptr):
        self._network = network
        self._ptr = ptr

    @property
    def network(self):
        return self._network

    @property
    def _p(self):
        if not self._network._ptr:
            raise _lib.IngotError(_lib.Status.INVALID_STATE, f"the network of this {type(self).__name__.lower()} was closed")
        return self._ptr

    @property
    def name(self):
        return to_str(_lib.ingot_tensor_get_name(self._p))

    @name.setter
    def name(self, value):
        check(_lib.ingot_tensor_set_name(self._p, to_bytes(value)))

    @property
    def dtype(self):
        return DataType(_lib.ingot_tensor_get_dtype(self._p))

    @property
    def shape(self):
        """Dims as a tuple (-1 for dynamic dims); None while unknown (before the build
        infers them)."""
        d = _lib.ingot_dims()
        check(_lib.ingot_tensor_get_dims(self._p, ctypes.byref(d)))
        return _lib.dims_tuple(d)

    @property
    def is_network_input(self):
        return bool(_lib.ingot_tensor_is_input(self._p))

    @property
    def is_network_output(self):
        return bool(_lib.ingot_tensor_is_output(self._p))

    @property
    def handle(self):
        return self._ptr

    def __eq__(self, other):
        return isinstance(other, Tensor) and other._ptr == self._ptr

    def __hash__(self):
        return hash(("tensor", self._ptr))

    def __repr__(self):
        return f"<ingot.Tensor {self.name!r} {self.dtype.name} {self.shape}>"


class Layer:
    """A layer of a network."""

    __slots__ = ("_network", "_ptr", "__weakref__")

    def __init__(self, network, ptr):
        self._network = network
        self._ptr = ptr

    @property
    def network(self):
        return self._network

    @property
    def _p(self):
        if not self._network._ptr:
            raise _lib.IngotError(_lib.Status.INVALID_STATE, f"the network of this {type(self).__name__.lower()} was closed")
        return self._ptr

    @property
    def name(self):
        return to_str(_lib.ingot_layer_get_name(self._p))

    @name.setter
    def name(self, value):
        check(_lib.ingot_layer_set_name(self._p, to_bytes(value)))

    @property
    def type(self):
        return LayerType(_lib.ingot_layer_get_type(self._p))

    @property
    def num_inputs(self):
        return int(_lib.ingot_layer_num_inputs(self._p))

    @property
    def num_outputs(self):
        return int(_lib.ingot_layer_num_outputs(self._p))

    def get_input(self, index):
        """Input `index`, or None for an absent optional input."""
        self._check_index(index, self.num_inputs, "input")
        p = _lib.ingot_layer_get_input(self._p, int(index))
        return Tensor(self._network, p) if p else None

    def get_output(self, index=0):
        self._check_index(index, self.num_outputs, "output")
        p = _lib.ingot_layer_get_output(self._p, int(index))
        if not p:
            raise _lib.IngotError(_lib.Status.NOT_FOUND, _lib.last_error()
                                  or f"layer '{self.name}' has no output {index}")
        return Tensor(self._network, p)

    def set_input(self, index, tensor):
        check(_lib.ingot_layer_set_input(self._p, int(index), _tensor_ptr(tensor)))

    @property
    def inputs(self):
        return [self.get_input(i) for i in range(self.num_inputs)]

    @property
    def outputs(self):
        return [self.get_output(i) for i in range(self.num_outputs)]

    def _check_index(self, index, count, what):
        if not 0 <= int(index) < count:
            raise IndexError(f"layer '{self.name}' has {count} {what}s; index {index} is out of range")

    @property
    def handle(self):
        return self._ptr

    def __eq__(self, other):
        return isinstance(other, Layer) and other._ptr == self._ptr

    def __hash__(self):
        return hash(("layer", self._ptr))

    def __repr__(self):
        return f"<ingot.Layer {self.name!r} {self.type.name}>"


def _tensor_ptr(t, what="tensor"):
    if t is None:
        return None
    if not isinstance(t, Tensor):
        raise TypeError(f"{what} must be an ingot.Tensor, got {type(t).__name__}")
    return t._ptr


def _spatial(name, values, n, default):
    """A per-spatial-dim parameter: None -> default, int -> repeated, sequence of n."""
    if values is None:
        values = (default,) * n
    elif isinstance(values, (int, np.integer)):
        values = (int(values),) * n
    values = tuple(int(v) for v in values)
    if len(values) != n:
        raise ValueError(f"{name} {values} needs {n} entries (one per spatial dim)")
    return values


def _fill(arr, values):
    for i, v in enumerate(values):
        arr[i] = v


def _mask(axes, rank=None):
    """axes: a bit mask (int) or a sequence of axes (negative ones need the rank)."""
    if isinstance(axes, (int, np.integer)):
        return int(axes)
    m = 0
    for a in axes:
        a = int(a)
        if a < 0:
            if rank is None:
                raise ValueError(f"negative axis {a} needs the input's rank, which is not known yet")
            a += rank
        m |= 1 << a
    return m


class Network:
    """A network definition. `logger` (an ingot.Logger or None) receives validation
    messages; the network keeps a reference to it."""

    def __init__(self, logger=None):
        self._ptr = None
        self._destroy = _lib.ingot_network_destroy
        self._logger = logger
        out = ctypes.c_void_p()
        check(_lib.ingot_network_create(_handle(logger), ctypes.byref(out)))
        self._ptr = out.value

    # ---- lifetime ----
    def close(self):
        """Destroys the C network; tensors and layers of it must not be used afterwards."""
        if self._ptr:
            self._destroy(self._ptr)
            self._ptr = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def handle(self):
        return self._ptr

    @property
    def logger(self):
        return self._logger

    # ---- helpers ----
    def _out_layer(self, fn, *args):
        out = ctypes.c_void_p()
        check(fn(self._ptr, *args, ctypes.byref(out)))
        return Layer(self, out.value)

    def _own(self, tensor, what="tensor"):
        p = _tensor_ptr(tensor, what)
        if p is None:
            raise TypeError(f"{what} must be an ingot.Tensor, not None")
        if tensor._network is not self:
            raise _lib.IngotError(_lib.Status.INVALID_ARGUMENT,
                                  f"{what} '{tensor.name}' belongs to another network")
        return p

    # ---- inputs, outputs, inspection ----
    def add_input(self, name, dtype, shape):
        out = ctypes.c_void_p()
        d = make_dims(shape)
        check(_lib.ingot_network_add_input(self._ptr, to_bytes(name), int(_lib.to_dtype(dtype)),
                                           ctypes.byref(d), ctypes.byref(out)))
        return Tensor(self, out.value)

    def add_plugin(self, inputs, name, fields=None, version=None, namespace=None):
        """A plugin layer over `inputs` made by the registered creator `name` (version and
        namespace None: any) from `fields`, a dict of name -> float, int, str, bytes or
        array (ingot_network_add_plugin; see ingot.plugin)."""
        from .plugin import add_plugin_layer
        return add_plugin_layer(self, list(inputs), name, fields, version, namespace)

    def mark_output(self, tensor):
        check(_lib.ingot_network_mark_output(self._ptr, self._own(tensor)))

    def unmark_output(self, tensor):
        check(_lib.ingot_network_unmark_output(self._ptr, self._own(tensor)))

    @property
    def num_inputs(self):
        return int(_lib.ingot_network_num_inputs(self._ptr))

    @property
    def num_outputs(self):
        return int(_lib.ingot_network_num_outputs(self._ptr))

    @property
    def num_layers(self):
        return int(_lib.ingot_network_num_layers(self._ptr))

    def _get(self, fn, index, count, what):
        if not 0 <= int(index) < count:
            raise IndexError(f"network has {count} {what}s; index {index} is out of range")
        p = fn(self._ptr, int(index))
        if not p:
            raise _lib.IngotError(_lib.Status.NOT_FOUND, _lib.last_error() or f"no {what} {index}")
        return p

    def get_input(self, index):
        return Tensor(self, self._get(_lib.ingot_network_get_input, index, self.num_inputs, "input"))

    def get_output(self, index):
        return Tensor(self, self._get(_lib.ingot_network_get_output, index, self.num_outputs, "output"))

    def get_layer(self, index):
        return Layer(self, self._get(_lib.ingot_network_get_layer, index, self.num_layers, "layer"))

    def find_tensor(self, name):
        """The tensor called `name`, or None."""
        p = _lib.ingot_network_find_tensor(self._ptr, to_bytes(name))
        if not p:
            _lib.ingot_clear_last_error()
            return None
        return Tensor(self, p)

    @property
    def inputs(self):
        return [self.get_input(i) for i in range(self.num_inputs)]

    @property
    def outputs(self):
        return [self.get_output(i) for i in range(self.num_outputs)]

    @property
    def layers(self):
        return [self.get_layer(i) for i in range(self.num_layers)]

    def __iter__(self):
        return iter(self.layers)

    def __len__(self):
        return self.num_layers

    # ---- layers ----
    def _conv_desc(self, num_output_maps, kernel_shape, kernel, bias, stride, padding, pre_padding,
                   post_padding, dilation, groups, padding_mode, output_padding=None):
        kernel_shape = (int(kernel_shape),) * 2 if isinstance(kernel_shape, (int, np.integer)) \
            else tuple(int(k) for k in kernel_shape)
        n = len(kernel_shape)
        if not 1 <= n <= _lib.MAX_SPATIAL_DIMS:
            raise ValueError(f"kernel_shape {kernel_shape}: 1 to {_lib.MAX_SPATIAL_DIMS} spatial dims")
        if padding is not None and (pre_padding is not None or post_padding is not None):
            raise ValueError("give either padding (symmetric) or pre_padding/post_padding")
        desc = _lib.ingot_convolution_desc()
        desc.nb_spatial_dims = n
        desc.num_output_maps = int(num_output_maps)
        _fill(desc.kernel_size, kernel_shape)
        _fill(desc.stride, _spatial("stride", stride, n, 1))
        pre = _spatial("pre_padding", padding if padding is not None else pre_padding, n, 0)
        post = _spatial("post_padding", padding if padding is not None else post_padding, n, 0)
        _fill(desc.pre_padding, pre)
        _fill(desc.post_padding, post)
        _fill(desc.dilation, _spatial("dilation", dilation, n, 1))
        _fill(desc.output_padding, _spatial("output_padding", output_padding, n, 0))
        desc.groups = int(groups)
        desc.padding_mode = int(PaddingMode(padding_mode))
        kw, karr = make_weights(kernel)
        bw, barr = make_weights(bias)
        desc.kernel_weights = kw
        desc.bias_weights = bw
        return desc, (karr, barr)

    def add_convolution_nd(self, input, num_output_maps, kernel_shape, kernel, bias=None, *, stride=None,
                           padding=None, pre_padding=None, post_padding=None, dilation=None, groups=1,
                           padding_mode=PaddingMode.EXPLICIT):
        """Convolution; kernel [K, C/groups, *kernel_shape], bias [K] or None. `padding` is
        symmetric (pre = post). kernel may be None when set_input(1, tensor) follows."""
        desc, keep = self._conv_desc(num_output_maps, kernel_shape, kernel, bias, stride, padding,
                                     pre_padding, post_padding, dilation, groups, padding_mode)
        layer = self._out_layer(_lib.ingot_network_add_convolution, self._own(input, "input"), ctypes.byref(desc))
        del keep
        return layer

    def add_deconvolution_nd(self, input, num_output_maps, kernel_shape, kernel, bias=None, *, stride=None,
                             padding=None, pre_padding=None, post_padding=None, dilation=None, groups=1,
                             padding_mode=PaddingMode.EXPLICIT, output_padding=None):
        """Deconvolution; kernel [C, K/groups, *kernel_shape] (ONNX layout)."""
        desc, keep = self._conv_desc(num_output_maps, kernel_shape, kernel, bias, stride, padding,
                                     pre_padding, post_padding, dilation, groups, padding_mode,
                                     output_padding)
        layer = self._out_layer(_lib.ingot_network_add_deconvolution, self._own(input, "input"),
                                ctypes.byref(desc))
        del keep
        return layer

    def add_pooling_nd(self, input, type, window_size=None, *, stride=None, padding=None, pre_padding=None,
                       post_padding=None, dilation=None, padding_mode=PaddingMode.EXPLICIT,
                       average_count_excludes_padding=True, ceil_mode=False, global_pooling=False):
        if window_size is None:
            if not global_pooling:
                raise ValueError("window_size is required unless global_pooling=True")
            shape = input.shape
            n = len(shape) - 2 if shape is not None and len(shape) > 2 else 2
            window_size = (0,) * n
        elif isinstance(window_size, (int, np.integer)):
            window_size = (int(window_size),) * 2
        window_size = tuple(int(w) for w in window_size)
        n = len(window_size)
        if not 1 <= n <= _lib.MAX_SPATIAL_DIMS:
            raise ValueError(f"window_size {window_size}: 1 to {_lib.MAX_SPATIAL_DIMS} spatial dims")
        if padding is not None and (pre_padding is not None or post_padding is not None):
            raise ValueError("give either padding (symmetric) or pre_padding/post_padding")
        desc = _lib.ingot_pooling_desc()
        desc.type = int(PoolingType(type))
        desc.nb_spatial_dims = n
        _fill(desc.window_size, window_size)
        _fill(desc.stride, _spatial("stride", stride, n, 1))
        _fill(desc.pre_padding, _spatial("pre_padding", padding if padding is not None else pre_padding, n, 0))
        _fill(desc.post_padding, _spatial("post_padding", padding if padding is not None else post_padding, n, 0))
        _fill(desc.dilation, _spatial("dilation", dilation, n, 1))
        desc.padding_mode = int(PaddingMode(padding_mode))
        desc.average_count_excludes_padding = int(bool(average_count_excludes_padding))
        desc.ceil_mode = int(bool(ceil_mode))
        desc.global_ = int(bool(global_pooling))
        return self._out_layer(_lib.ingot_network_add_pooling, self._own(input, "input"), ctypes.byref(desc))

    def add_activation(self, input, type, alpha=0.0, beta=0.0):
        return self._out_layer(_lib.ingot_network_add_activation, self._own(input, "input"),
                               int(ActivationType(type)), float(alpha), float(beta))

    def add_parametric_relu(self, input, slope):
        return self._out_layer(_lib.ingot_network_add_parametric_relu, self._own(input, "input"),
                               self._own(slope, "slope"))

    def add_matrix_multiply(self, a, op_a, b, op_b):
        return self._out_layer(_lib.ingot_network_add_matrix_multiply, self._own(a, "a"),
                               int(MatrixOperation(op_a)), self._own(b, "b"), int(MatrixOperation(op_b)))

    def add_fully_connected(self, input, num_outputs, kernel, bias=None):
        kw, karr = make_weights(kernel)
        bw, barr = make_weights(bias)
        return self._out_layer(_lib.ingot_network_add_fully_connected, self._own(input, "input"),
                               int(num_outputs), kw, bw)

    def add_softmax(self, input, axis=-1):
        return self._out_layer(_lib.ingot_network_add_softmax, self._own(input, "input"), int(axis))

    def add_log_softmax(self, input, axis=-1):
        return self._out_layer(_lib.ingot_network_add_log_softmax, self._own(input, "input"), int(axis))

    def add_elementwise(self, a, b, op):
        return self._out_layer(_lib.ingot_network_add_elementwise, self._own(a, "a"), self._own(b, "b"),
                               int(ElementWiseOperation(op)))

    def add_unary(self, input, op):
        return self._out_layer(_lib.ingot_network_add_unary, self._own(input, "input"), int(UnaryOperation(op)))

    def add_scale(self, input, mode, shift=None, scale=None, power=None, channel_axis=1):
        sw, s1 = make_weights(shift)
        cw, s2 = make_weights(scale)
        pw, s3 = make_weights(power)
        return self._out_layer(_lib.ingot_network_add_scale, self._own(input, "input"), int(ScaleMode(mode)),
                               sw, cw, pw, int(channel_axis))

    def add_concatenation(self, inputs, axis=0):
        ptrs = [self._own(t, "inputs[%d]" % i) for i, t in enumerate(inputs)]
        arr = (ctypes.c_void_p * max(len(ptrs), 1))(*ptrs)
        return self._out_layer(_lib.ingot_network_add_concatenation, arr, len(ptrs), int(axis))

    def add_shuffle(self, input, first_transpose=None, reshape_dims=None, second_transpose=None,
                    zero_is_placeholder=True):
        """Transpose (permutation[i] = input dim that becomes output dim i), then reshape (0
        copies the input dim when zero_is_placeholder; one -1 is inferred), then transpose."""
        desc = _lib.ingot_shuffle_desc()
        if first_transpose is not None:
            first_transpose = tuple(int(v) for v in first_transpose)
            if len(first_transpose) > _lib.MAX_DIMS:
                raise ValueError(f"first_transpose {first_transpose}: at most {_lib.MAX_DIMS} dims")
            desc.has_first_transpose = 1
            _fill(desc.first_transpose, first_transpose)
            for i in range(len(first_transpose), _lib.MAX_DIMS):
                desc.first_transpose[i] = i
        if reshape_dims is not None:
            desc.has_reshape = 1
            desc.reshape_dims = make_dims(reshape_dims)
        desc.zero_is_literal = 0 if zero_is_placeholder else 1
        if second_transpose is not None:
            second_transpose = tuple(int(v) for v in second_transpose)
            if len(second_transpose) > _lib.MAX_DIMS:
                raise ValueError(f"second_transpose {second_transpose}: at most {_lib.MAX_DIMS} dims")
            desc.has_second_transpose = 1
            _fill(desc.second_transpose, second_transpose)
            for i in range(len(second_transpose), _lib.MAX_DIMS):
                desc.second_transpose[i] = i
        return self._out_layer(_lib.ingot_network_add_shuffle, self._own(input, "input"), ctypes.byref(desc))

    def add_reduce(self, input, op, axes, keep_dims):
        """axes: a bit mask (bit i = dim i), or a sequence of axes."""
        rank = None
        if not isinstance(axes, (int, np.integer)):
            shape = input.shape
            rank = len(shape) if shape is not None else None
        return self._out_layer(_lib.ingot_network_add_reduce, self._own(input, "input"),
                               int(ReduceOperation(op)), _mask(axes, rank), int(bool(keep_dims)))

    def add_constant(self, shape, values, dtype=None):
        """A constant of `shape` (None: values.shape) holding `values` (float64 becomes
        float32; `dtype` forces the DataType; a single value fills the shape)."""
        arr, dt = _lib.as_array(values, dtype)
        if shape is None:
            shape = arr.shape
        shape = tuple(int(s) for s in ((shape,) if isinstance(shape, (int, np.integer)) else shape))
        volume = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if arr.size == 1 and volume != 1:
            arr = _lib.contiguous(np.broadcast_to(arr.reshape(()), shape))
        w, keep = make_weights(arr, dt)
        d = make_dims(shape)
        return self._out_layer(_lib.ingot_network_add_constant, ctypes.byref(d), w)

    def add_identity(self, input):
        return self._out_layer(_lib.ingot_network_add_identity, self._own(input, "input"))

    def add_cast(self, input, dtype):
        return self._out_layer(_lib.ingot_network_add_cast, self._own(input, "input"), int(_lib.to_dtype(dtype)))

    def add_slice(self, input, start, shape, stride=None):
        """output[i] = input[start + i * stride] for i < shape, per dim (stride default 1)."""
        start = tuple(int(v) for v in start)
        if stride is None:
            stride = (1,) * len(start)
        s, z, t = make_dims(start), make_dims(shape), make_dims(stride)
        return self._out_layer(_lib.ingot_network_add_slice, self._own(input, "input"), ctypes.byref(s),
                               ctypes.byref(z), ctypes.byref(t))

    def add_gather(self, data, indices, axis=0):
        return self._out_layer(_lib.ingot_network_add_gather, self._own(data, "data"),
                               self._own(indices, "indices"), int(axis))

    def add_select(self, condition, then_input, else_input):
        return self._out_layer(_lib.ingot_network_add_select, self._own(condition, "condition"),
                               self._own(then_input, "then_input"), self._own(else_input, "else_input"))

    def add_batch_normalization(self, input, scale, bias, mean, variance, epsilon=1e-5):
        ws = [make_weights(v) for v in (scale, bias, mean, variance)]
        return self._out_layer(_lib.ingot_network_add_batch_normalization, self._own(input, "input"),
                               ws[0][0], ws[1][0], ws[2][0], ws[3][0], float(epsilon))

    def add_normalization(self, input, scale, bias, axes, epsilon=1e-5):
        """Layer normalization over `axes` (bit mask or sequence; the trailing dims);
        scale and bias are tensors (bias may be None)."""
        rank = None
        if not isinstance(axes, (int, np.integer)):
            shape = input.shape
            rank = len(shape) if shape is not None else None
        return self._out_layer(_lib.ingot_network_add_layer_normalization, self._own(input, "input"),
                               self._own(scale, "scale"), _tensor_ptr(bias, "bias"), _mask(axes, rank),
                               float(epsilon))

    add_layer_normalization = add_normalization

    def add_attention(self, q, k, v, mask=None, scale=None):
        """softmax(scale * q k^T + mask) v per batch and head: q [B, H, Sq, D], k [B, H, Sk, D],
        v [B, H, Sk, Dv]. A float mask is added to the scores; a bool mask keeps the scores
        where it is true. scale defaults to 1 / sqrt(D)."""
        if scale is None:
            shape = q.shape
            if shape is None or shape[-1] is None or shape[-1] <= 0:
                raise ValueError("add_attention: give scale, q's last dim is not known")
            scale = 1.0 / float(np.sqrt(shape[-1]))
        return self._out_layer(_lib.ingot_network_add_attention, self._own(q, "q"), self._own(k, "k"),
                               self._own(v, "v"), _tensor_ptr(mask, "mask"), float(scale))

    def add_resize(self, input, mode=ResizeMode.NEAREST, shape=None, scales=None,
                   coordinate_transformation=ResizeCoordinateTransformation.HALF_PIXEL,
                   nearest_rounding=ResizeRoundMode.HALF_DOWN):
        """Either `shape` (full output dims) or `scales` (one per dim)."""
        if (shape is None) == (scales is None):
            raise ValueError("add_resize: give exactly one of shape and scales")
        desc = _lib.ingot_resize_desc()
        desc.mode = int(ResizeMode(mode))
        desc.coordinate_transform = int(ResizeCoordinateTransformation(coordinate_transformation))
        desc.nearest_rounding = int(ResizeRoundMode(nearest_rounding))
        if shape is not None:
            desc.use_scales = 0
            desc.output_dims = make_dims(shape)
        else:
            scales = tuple(float(s) for s in scales)
            if len(scales) > _lib.MAX_DIMS:
                raise ValueError(f"scales {scales}: at most {_lib.MAX_DIMS}")
            desc.use_scales = 1
            desc.nb_scales = len(scales)
            _fill(desc.scales, scales)
        return self._out_layer(_lib.ingot_network_add_resize, self._own(input, "input"), ctypes.byref(desc))

    def add_padding_nd(self, input, pre_padding, post_padding, mode=PadMode.CONSTANT, value=0.0):
        """Pads every dim (one entry per input dim); negative values crop."""
        pre = tuple(int(v) for v in pre_padding)
        post = tuple(int(v) for v in post_padding)
        if len(pre) != len(post):
            raise ValueError(f"pre_padding {pre} and post_padding {post} differ in length")
        if len(pre) > _lib.MAX_DIMS:
            raise ValueError(f"padding of {len(pre)} dims: at most {_lib.MAX_DIMS}")
        desc = _lib.ingot_padding_desc()
        desc.nb_dims = len(pre)
        _fill(desc.pre_padding, pre)
        _fill(desc.post_padding, post)
        desc.mode = int(PadMode(mode))
        desc.value = float(value)
        return self._out_layer(_lib.ingot_network_add_padding, self._own(input, "input"), ctypes.byref(desc))

    def add_topk(self, input, op, k, axis=-1):
        return self._out_layer(_lib.ingot_network_add_topk, self._own(input, "input"), int(TopKOperation(op)),
                               int(k), int(axis))

    def add_rnn(self, input, weights, recurrence_weights, bias=None, *, cell, hidden_size,
                direction=RNNDirection.FORWARD, layout=0, activations=None, activation_alpha=None,
                activation_beta=None, clip=None, input_forget=False, linear_before_reset=False,
                sequence_lengths=None, initial_hidden=None, initial_cell=None, peepholes=None):
        """A one-layer recurrent network (RNN, GRU or LSTM in ONNX's terms: W [D, G*H, I],
        R [D, G*H, H], B [D, 2*G*H], P [D, 3*H]). Weights are Tensors or arrays (arrays
        become constants); cell, direction and activations take the enums or their names.
        Outputs: Y, Y_h and (LSTM) Y_c."""
        def tensor(v, what):
            if v is None or isinstance(v, Tensor):
                return v
            return self.add_constant(None, np.asarray(v, dtype=np.float32)).get_output(0)

        def enum(cls, v):
            return cls[v.upper()] if isinstance(v, str) else cls(v)

        desc = _lib.ingot_rnn_desc()
        desc.cell = int(enum(RNNCell, cell))
        desc.direction = int(enum(RNNDirection, direction))
        desc.hidden_size = int(hidden_size)
        desc.layout = int(layout)
        acts = list(activations or [])
        if len(acts) > 6:
            raise ValueError(f"{len(acts)} activations: at most 6")
        desc.nb_activations = len(acts)
        _fill(desc.activations, [int(enum(RNNActivation, a)) for a in acts])
        _fill(desc.activation_alpha, [float(a) for a in (activation_alpha or [0.0] * len(acts))][:6])
        _fill(desc.activation_beta, [float(b) for b in (activation_beta or [0.0] * len(acts))][:6])
        desc.has_clip = int(clip is not None)
        desc.clip = float(clip or 0.0)
        desc.input_forget = int(bool(input_forget))
        desc.linear_before_reset = int(bool(linear_before_reset))
        w, r, b = tensor(weights, "weights"), tensor(recurrence_weights, "recurrence_weights"), tensor(bias, "bias")
        layer = self._out_layer(_lib.ingot_network_add_rnn, self._own(input, "input"), self._own(w, "weights"),
                                self._own(r, "recurrence_weights"), None if b is None else self._own(b, "bias"),
                                ctypes.byref(desc))
        for slot, value in ((RNNInput.SEQUENCE_LENGTHS, sequence_lengths), (RNNInput.INITIAL_HIDDEN, initial_hidden),
                            (RNNInput.INITIAL_CELL, initial_cell), (RNNInput.PEEPHOLES, tensor(peepholes, "peepholes"))):
            if value is not None:
                layer.set_input(int(slot), value)
        return layer

    # ---- shape arithmetic and the layers ONNX import needs ----
    def _dims_tensor(self, values, what):
        """A Tensor as it is, or a sequence of ints as an int64 1-D constant."""
        if isinstance(values, Tensor):
            return self._own(values, what)
        arr = np.asarray(values, dtype=np.int64).reshape(-1)
        return self._own(self.add_constant((arr.size,), arr, DataType.INT64).get_output(0), what)

    def add_shape(self, input):
        """The dims of `input` as an int64 1-D tensor."""
        return self._out_layer(_lib.ingot_network_add_shape, self._own(input, "input"))

    def add_fill(self, shape, dtype, value=0.0):
        """A tensor of `dtype` filled with `value`; `shape` is an int64 1-D tensor (or a
        sequence of ints, made a constant) (ONNX ConstantOfShape)."""
        return self._out_layer(_lib.ingot_network_add_fill, self._dims_tensor(shape, "shape"),
                               int(_lib.to_dtype(dtype)), float(value))

    def add_range(self, start, limit, delta):
        """ONNX Range over three scalar tensors of one dtype (float32, int32 or int64)."""
        return self._out_layer(_lib.ingot_network_add_range, self._own(start, "start"), self._own(limit, "limit"),
                               self._own(delta, "delta"))

    def add_gather_elements(self, data, indices, axis=0):
        return self._out_layer(_lib.ingot_network_add_gather_elements, self._own(data, "data"),
                               self._own(indices, "indices"), int(axis))

    def add_gather_nd(self, data, indices, batch_dims=0):
        return self._out_layer(_lib.ingot_network_add_gather_nd, self._own(data, "data"),
                               self._own(indices, "indices"), int(batch_dims))

    def add_scatter(self, data, indices, updates, mode, axis=0, reduction=ScatterReduction.NONE):
        """ONNX ScatterND (mode ScatterMode.ND or "nd"; axis ignored) or ScatterElements
        (ScatterMode.ELEMENTS or "elements"); reduction a ScatterReduction or its name."""
        if isinstance(mode, str):
            mode = ScatterMode[mode.upper()]
        if isinstance(reduction, str):
            reduction = ScatterReduction[reduction.upper()]
        return self._out_layer(_lib.ingot_network_add_scatter, self._own(data, "data"),
                               self._own(indices, "indices"), self._own(updates, "updates"),
                               int(ScatterMode(mode)), int(axis), int(ScatterReduction(reduction)))

    def add_cumulative(self, input, axis, exclusive=False, reverse=False):
        """Cumulative sum along `axis` (ONNX CumSum)."""
        return self._out_layer(_lib.ingot_network_add_cumulative, self._own(input, "input"), int(axis),
                               int(bool(exclusive)), int(bool(reverse)))

    def add_expand(self, input, shape):
        """`input` broadcast against `shape` (an int64 1-D tensor, or a sequence of ints)."""
        return self._out_layer(_lib.ingot_network_add_expand, self._own(input, "input"),
                               self._dims_tensor(shape, "shape"))

    def add_tile(self, input, repeats):
        """`input` repeated repeats[i] times along dim i (an int64 1-D tensor, or ints)."""
        return self._out_layer(_lib.ingot_network_add_tile, self._own(input, "input"),
                               self._dims_tensor(repeats, "repeats"))

    def add_quantize(self, input, scale, zero_point=None, axis=1, output_dtype=DataType.INT8):
        """ONNX QuantizeLinear into int8 or uint8; scale (float32) and zero_point (of
        output_dtype, or None) are tensors: scalars, or 1-D along `axis`."""
        zp = None if zero_point is None else self._own(zero_point, "zero_point")
        return self._out_layer(_lib.ingot_network_add_quantize, self._own(input, "input"), self._own(scale, "scale"),
                               zp, int(axis), int(_lib.to_dtype(output_dtype)))

    def add_dequantize(self, input, scale, zero_point=None, axis=1):
        """ONNX DequantizeLinear: (input - zero_point) * scale as float32."""
        zp = None if zero_point is None else self._own(zero_point, "zero_point")
        return self._out_layer(_lib.ingot_network_add_dequantize, self._own(input, "input"),
                               self._own(scale, "scale"), zp, int(axis))

    def add_einsum(self, inputs, equation):
        """Einstein summation over 1 or 2 tensors ("bij,bjk->bik")."""
        if isinstance(inputs, Tensor):
            inputs = [inputs]
        ptrs = [self._own(t, "inputs[%d]" % i) for i, t in enumerate(inputs)]
        arr = (ctypes.c_void_p * max(len(ptrs), 1))(*ptrs)
        return self._out_layer(_lib.ingot_network_add_einsum, arr, len(ptrs), to_bytes(equation))

    # ---- data-dependent output shapes (the context reports the real shape after execute) ----
    def add_non_zero(self, input):
        """ONNX NonZero: int64 [rank, count] indices of the non-zero elements."""
        return self._out_layer(_lib.ingot_network_add_non_zero, self._own(input, "input"))

    def add_non_max_suppression(self, boxes, scores, max_output_boxes_per_class=None, iou_threshold=None,
                                score_threshold=None, center_point_box=0):
        """ONNX NonMaxSuppression: int64 [count, 3] rows (batch, class, box). The last three
        are scalar tensors or None (None max selects nothing, as ONNX's default)."""
        opt = [None if t is None else self._own(t, what) for t, what in
               ((max_output_boxes_per_class, "max_output_boxes_per_class"), (iou_threshold, "iou_threshold"),
                (score_threshold, "score_threshold"))]
        return self._out_layer(_lib.ingot_network_add_non_max_suppression, self._own(boxes, "boxes"),
                               self._own(scores, "scores"), *opt, int(center_point_box))

    def add_compress(self, input, condition, axis=None):
        """ONNX Compress: elements (axis None: flattened) or slices along axis where condition."""
        return self._out_layer(_lib.ingot_network_add_compress, self._own(input, "input"),
                               self._own(condition, "condition"), int(axis is not None), int(axis or 0))

    def add_unique(self, input, sorted=True, axis=None):
        """ONNX Unique: outputs y, indices, inverse_indices, counts."""
        return self._out_layer(_lib.ingot_network_add_unique, self._own(input, "input"), int(bool(sorted)),
                               int(axis is not None), int(axis or 0))

    def __repr__(self):
        if not self._ptr:
            return "<ingot.Network (closed)>"
        return f"<ingot.Network {self.num_inputs} inputs, {self.num_layers} layers, {self.num_outputs} outputs>"
