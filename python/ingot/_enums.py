"""IntEnums mirroring the C enums of include/ingot/*.h.

Member names are the C value names without their prefix (INGOT_ACTIVATION_RELU ->
ActivationType.RELU); values are the C values. tests/python/test_api.py checks them
against the headers.
"""
from enum import IntEnum

__all__ = [
    "Status", "DataType", "Severity", "LayerType", "PaddingMode", "PoolingType",
    "ActivationType", "MatrixOperation", "ElementWiseOperation", "UnaryOperation",
    "ScaleMode", "ReduceOperation", "ResizeMode", "ResizeCoordinateTransformation",
    "ResizeRoundMode", "PadMode", "TopKOperation", "ScatterMode", "ScatterReduction", "Target", "BuilderFlag",
    "ProfileSelector", "TensorIOMode", "RNNCell", "RNNDirection", "RNNActivation", "RNNInput",
]


class Status(IntEnum):
    """ingot_status (INGOT_*)."""
    SUCCESS = 0
    INVALID_ARGUMENT = 1
    NOT_FOUND = 2
    INVALID_STATE = 3
    UNSUPPORTED = 4
    OUT_OF_MEMORY = 5
    INVALID_GRAPH = 6
    INVALID_PLAN = 7
    VERSION_MISMATCH = 8
    IO_ERROR = 9
    RUNTIME_ERROR = 10
    INTERNAL_ERROR = 11


class DataType(IntEnum):
    """ingot_dtype, with TensorRT's names (FLOAT = INGOT_FLOAT32, HALF = INGOT_FLOAT16, ...)."""
    FLOAT = 0
    HALF = 1
    BF16 = 2
    INT8 = 3
    INT32 = 4
    INT64 = 5
    BOOL = 6
    UINT8 = 7
    # aliases with the C names
    FLOAT32 = 0
    FLOAT16 = 1
    BFLOAT16 = 2

    @property
    def itemsize(self):
        """Bytes per element."""
        return _DTYPE_SIZES[self]


_DTYPE_SIZES = {0: 4, 1: 2, 2: 2, 3: 1, 4: 4, 5: 8, 6: 1, 7: 1}


class Severity(IntEnum):
    """ingot_severity (INGOT_SEVERITY_*)."""
    INTERNAL_ERROR = 0
    ERROR = 1
    WARNING = 2
    INFO = 3
    VERBOSE = 4


class LayerType(IntEnum):
    """ingot_layer_type (INGOT_LAYER_*)."""
    CONVOLUTION = 0
    DECONVOLUTION = 1
    POOLING = 2
    ACTIVATION = 3
    PARAMETRIC_RELU = 4
    MATRIX_MULTIPLY = 5
    FULLY_CONNECTED = 6
    SOFTMAX = 7
    ELEMENTWISE = 8
    UNARY = 9
    SCALE = 10
    CONCATENATION = 11
    SHUFFLE = 12
    REDUCE = 13
    CONSTANT = 14
    IDENTITY = 15
    CAST = 16
    SLICE = 17
    GATHER = 18
    SELECT = 19
    BATCH_NORMALIZATION = 20
    LAYER_NORMALIZATION = 21
    RESIZE = 22
    PADDING = 23
    TOPK = 24
    SHAPE = 25
    FILL = 26
    RANGE = 27
    GATHER_ELEMENTS = 28
    GATHER_ND = 29
    SCATTER = 30
    CUMULATIVE = 31
    EXPAND = 32
    TILE = 33
    QUANTIZE = 34
    DEQUANTIZE = 35
    EINSUM = 36
    RNN = 37
    NON_ZERO = 38
    NON_MAX_SUPPRESSION = 39
    COMPRESS = 40
    UNIQUE = 41
    PLUGIN = 42
    ATTENTION = 43


class RNNCell(IntEnum):
    """ingot_rnn_cell (INGOT_RNN_CELL_*)."""
    RNN = 0
    GRU = 1
    LSTM = 2


class RNNDirection(IntEnum):
    """ingot_rnn_direction (INGOT_RNN_*)."""
    FORWARD = 0
    REVERSE = 1
    BIDIRECTIONAL = 2


class RNNActivation(IntEnum):
    """ingot_rnn_activation (INGOT_RNN_ACTIVATION_*): ONNX's recurrent activations."""
    SIGMOID = 0
    TANH = 1
    RELU = 2
    AFFINE = 3
    LEAKY_RELU = 4
    THRESHOLDED_RELU = 5
    SCALED_TANH = 6
    HARD_SIGMOID = 7
    ELU = 8
    SOFTSIGN = 9
    SOFTPLUS = 10


class RNNInput(IntEnum):
    """ingot_rnn_input (INGOT_RNN_INPUT_*): the recurrent layer's input slots."""
    X = 0
    W = 1
    R = 2
    B = 3
    SEQUENCE_LENGTHS = 4
    INITIAL_HIDDEN = 5
    INITIAL_CELL = 6
    PEEPHOLES = 7


class PaddingMode(IntEnum):
    """ingot_padding_mode (INGOT_PADDING_*)."""
    EXPLICIT = 0
    SAME_UPPER = 1
    SAME_LOWER = 2
    VALID = 3


class PoolingType(IntEnum):
    """ingot_pooling_type (INGOT_POOLING_*)."""
    MAX = 0
    AVERAGE = 1


class ActivationType(IntEnum):
    """ingot_activation_type (INGOT_ACTIVATION_*)."""
    RELU = 0
    LEAKY_RELU = 1
    SIGMOID = 2
    TANH = 3
    ELU = 4
    SELU = 5
    SOFTPLUS = 6
    SOFTSIGN = 7
    CLIP = 8
    HARD_SIGMOID = 9
    HARD_SWISH = 10
    GELU_ERF = 11
    GELU_TANH = 12
    SILU = 13
    MISH = 14
    SCALED_TANH = 15
    THRESHOLDED_RELU = 16


class MatrixOperation(IntEnum):
    """ingot_matrix_op (INGOT_MATRIX_OP_*)."""
    NONE = 0
    TRANSPOSE = 1
    VECTOR = 2


class ElementWiseOperation(IntEnum):
    """ingot_elementwise_op (INGOT_ELEMENTWISE_*)."""
    SUM = 0
    SUB = 1
    PROD = 2
    DIV = 3
    MIN = 4
    MAX = 5
    POW = 6
    FLOOR_DIV = 7
    MOD = 8
    FMOD = 9
    EQUAL = 10
    GREATER = 11
    GREATER_EQUAL = 12
    LESS = 13
    LESS_EQUAL = 14
    AND = 15
    OR = 16
    XOR = 17
    BITWISE_AND = 18
    BITWISE_OR = 19
    BITWISE_XOR = 20
    SHIFT_LEFT = 21
    SHIFT_RIGHT = 22


class UnaryOperation(IntEnum):
    """ingot_unary_op (INGOT_UNARY_*)."""
    EXP = 0
    LOG = 1
    SQRT = 2
    ABS = 3
    NEG = 4
    RECIPROCAL = 5
    FLOOR = 6
    CEIL = 7
    ROUND = 8
    SIN = 9
    COS = 10
    TAN = 11
    ASIN = 12
    ACOS = 13
    ATAN = 14
    SINH = 15
    COSH = 16
    ASINH = 17
    ACOSH = 18
    ATANH = 19
    ERF = 20
    NOT = 21
    SIGN = 22
    ISNAN = 23
    ISINF = 24
    BITWISE_NOT = 25


class ScaleMode(IntEnum):
    """ingot_scale_mode (INGOT_SCALE_*)."""
    UNIFORM = 0
    CHANNEL = 1
    ELEMENTWISE = 2


class ReduceOperation(IntEnum):
    """ingot_reduce_op (INGOT_REDUCE_*)."""
    SUM = 0
    MEAN = 1
    MAX = 2
    MIN = 3
    PROD = 4


class ResizeMode(IntEnum):
    """ingot_resize_mode (INGOT_RESIZE_*)."""
    NEAREST = 0
    LINEAR = 1
    CUBIC = 2


class ResizeCoordinateTransformation(IntEnum):
    """ingot_resize_coordinate_transform (INGOT_RESIZE_*)."""
    HALF_PIXEL = 0
    ASYMMETRIC = 1
    ALIGN_CORNERS = 2
    PYTORCH_HALF_PIXEL = 3
    HALF_PIXEL_SYMMETRIC = 4
    TF_CROP_AND_RESIZE = 5


class ResizeRoundMode(IntEnum):
    """ingot_resize_round_mode (INGOT_RESIZE_ROUND_HALF_DOWN, ..._HALF_UP, INGOT_RESIZE_FLOOR, ..._CEIL)."""
    HALF_DOWN = 0
    HALF_UP = 1
    FLOOR = 2
    CEIL = 3


class PadMode(IntEnum):
    """ingot_pad_mode (INGOT_PAD_*)."""
    CONSTANT = 0
    REFLECT = 1
    EDGE = 2
    WRAP = 3


class TopKOperation(IntEnum):
    """ingot_topk_op (INGOT_TOPK_*)."""
    MAX = 0
    MIN = 1


class ScatterMode(IntEnum):
    """ingot_scatter_mode (INGOT_SCATTER_*)."""
    ND = 0
    ELEMENTS = 1


class ScatterReduction(IntEnum):
    """ingot_scatter_reduction (INGOT_SCATTER_REDUCE_*)."""
    NONE = 0
    ADD = 1
    MUL = 2
    MAX = 3
    MIN = 4


class Target(IntEnum):
    """ingot_target (INGOT_TARGET_*)."""
    CPU = 0
    CUDA = 1


class BuilderFlag(IntEnum):
    """ingot_builder_flag (INGOT_BUILDER_FLAG_*)."""
    FP16 = 0
    BF16 = 1
    INT8 = 2
    TF32 = 3


class ProfileSelector(IntEnum):
    """ingot_profile_selector (INGOT_PROFILE_*)."""
    MIN = 0
    OPT = 1
    MAX = 2


class TensorIOMode(IntEnum):
    """ingot_tensor_io_mode (INGOT_TENSOR_*)."""
    INPUT = 0
    OUTPUT = 1
