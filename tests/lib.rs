//! Shared helpers for the workspace-level tests: loading the TFLM oracle vectors of
//! `tests/vectors/` (format: `docs/vectors.md`).

#[path = "oracle_ir.rs"]
pub mod oracle_ir;
pub mod runner_gen;

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a vector file could not be used.
#[derive(Debug)]
pub enum VectorError {
    /// Reading the file failed.
    Io(PathBuf, std::io::Error),
    /// The JSON does not have the documented shape.
    Json(PathBuf, serde_json::Error),
    /// A tensor's data do not fit its dtype, or its shape disagrees with its data.
    Data(String),
}

impl fmt::Display for VectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VectorError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            VectorError::Json(p, e) => write!(f, "{}: {e}", p.display()),
            VectorError::Data(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for VectorError {}

/// `tests/vectors/manifest.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    /// Script that wrote the vectors.
    pub generator: String,
    /// Random seed.
    pub seed: u64,
    /// Version of the `tflite-micro` package (the oracle).
    pub tflite_micro: String,
    /// Version of TensorFlow (the converter).
    pub tensorflow: String,
    /// Version of numpy.
    pub numpy: String,
    /// Number of cases per op.
    pub ops: BTreeMap<String, usize>,
}

/// `tests/vectors/ops/<op>.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct OpFile {
    /// Op name.
    pub op: String,
    /// The cases.
    pub cases: Vec<Case>,
}

/// `tests/vectors/models/<stem>.json`: one whole-network model's recorded TFLM cases.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelFile {
    /// The model's name (its file stem).
    pub model: String,
    /// The cases.
    pub cases: Vec<ModelCase>,
}

/// One whole-network case: the graph inputs and what TFLM gave for every graph output.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelCase {
    /// Graph inputs, in order.
    pub input: Vec<Tensor>,
    /// Graph outputs, in order.
    pub output: Vec<Tensor>,
}

/// Loads `tests/vectors/models/<stem>.json`.
///
/// # Errors
/// [`VectorError`] when the file cannot be read or parsed, or names another model.
pub fn load_model(stem: &str) -> Result<ModelFile, VectorError> {
    let file: ModelFile = read_json(vectors_dir().join("models").join(format!("{stem}.json")))?;
    if file.model != format!("{stem}.tflite") {
        return Err(VectorError::Data(format!(
            "{stem}.json names model {:?}",
            file.model
        )));
    }
    Ok(file)
}

/// `tests/vectors/stateful/<stem>.json`: a network with state (SVDF) run by TFLM over sequences.
#[derive(Debug, Clone, Deserialize)]
pub struct StatefulFile {
    /// The model's file name (`<stem>.tflite`).
    pub model: String,
    /// The sequences; each starts from TFLM's reset state.
    pub cases: Vec<Sequence>,
}

/// One sequence: the steps in order, run on one state.
#[derive(Debug, Clone, Deserialize)]
pub struct Sequence {
    /// The steps' inputs and TFLM's outputs.
    pub steps: Vec<ModelCase>,
}

/// The stems of `tests/vectors/stateful/*.tflite`, sorted.
///
/// # Errors
/// [`VectorError::Io`] when the directory cannot be read.
pub fn stateful_stems() -> Result<Vec<String>, VectorError> {
    let dir = vectors_dir().join("stateful");
    let entries = std::fs::read_dir(&dir).map_err(|e| VectorError::Io(dir.clone(), e))?;
    let mut stems: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tflite"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    stems.sort();
    Ok(stems)
}

/// Loads `tests/vectors/stateful/<stem>.json`.
///
/// # Errors
/// [`VectorError`] when the file cannot be read or parsed, or names another model.
pub fn load_stateful(stem: &str) -> Result<StatefulFile, VectorError> {
    let file: StatefulFile =
        read_json(vectors_dir().join("stateful").join(format!("{stem}.json")))?;
    if file.model != format!("{stem}.tflite") {
        return Err(VectorError::Data(format!(
            "{stem}.json names model {:?}",
            file.model
        )));
    }
    Ok(file)
}

/// One single-op model run through TFLM.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    /// Case name (`conv2d_017`).
    pub name: String,
    /// Op parameters (see [`ConvOptions`] and friends).
    pub params: serde_json::Value,
    /// Inputs in TFLite operand order.
    pub inputs: Vec<Tensor>,
    /// What TFLM produced.
    pub output: Tensor,
}

impl Case {
    /// Input `i`, or an error naming the case.
    pub fn input(&self, i: usize) -> Result<&Tensor, VectorError> {
        self.inputs
            .get(i)
            .ok_or_else(|| VectorError::Data(format!("{}: no input {i}", self.name)))
    }

    /// The params deserialised into an op's option struct.
    pub fn options<T: for<'de> Deserialize<'de>>(&self) -> Result<T, VectorError> {
        serde_json::from_value(self.params.clone())
            .map_err(|e| VectorError::Json(PathBuf::from(&self.name), e))
    }
}

/// Element type of a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    /// int8 activations and weights.
    Int8,
    /// int16 activations (TFLite's 16x8 scheme).
    Int16,
    /// int32 biases.
    Int32,
    /// int64 biases (16x8 scheme).
    Int64,
    /// float32 (quantize input, dequantize output).
    Float32,
}

/// A tensor as stored in the model, with the data TFLM saw or produced.
#[derive(Debug, Clone, Deserialize)]
pub struct Tensor {
    /// Shape as stored.
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: DType,
    /// Scales (float32 values written as decimals); empty for float tensors.
    pub scale: Vec<f64>,
    /// Zero points.
    pub zero_point: Vec<i64>,
    /// Channel axis of per-channel scales.
    #[serde(default)]
    pub quantized_dimension: usize,
    /// Flat row-major data.
    pub data: Vec<f64>,
}

impl Tensor {
    fn check_len(&self) -> Result<(), VectorError> {
        let n: usize = self.shape.iter().product();
        if n == self.data.len() {
            Ok(())
        } else {
            Err(VectorError::Data(format!(
                "shape {:?} holds {n} elements but data has {}",
                self.shape,
                self.data.len()
            )))
        }
    }

    fn ints<T: TryFrom<i64>>(&self, what: &str) -> Result<Vec<T>, VectorError> {
        self.check_len()?;
        self.data
            .iter()
            .map(|&v| {
                if v.fract() != 0.0 {
                    return Err(VectorError::Data(format!(
                        "{what} value {v} is not an integer"
                    )));
                }
                T::try_from(v as i64)
                    .map_err(|_| VectorError::Data(format!("{what} value {v} out of range")))
            })
            .collect()
    }

    /// Data as int8.
    pub fn i8_data(&self) -> Result<Vec<i8>, VectorError> {
        self.ints("int8")
    }

    /// Data as int32.
    pub fn i32_data(&self) -> Result<Vec<i32>, VectorError> {
        self.ints("int32")
    }

    /// Data as int16.
    pub fn i16_data(&self) -> Result<Vec<i16>, VectorError> {
        self.ints("int16")
    }

    /// Data as int64 (exact: every value written is below 2^53 in magnitude, checked).
    pub fn i64_data(&self) -> Result<Vec<i64>, VectorError> {
        if let Some(v) = self
            .data
            .iter()
            .find(|v| v.abs() >= 9_007_199_254_740_992.0)
        {
            return Err(VectorError::Data(format!(
                "int64 value {v} is not exact in the JSON number"
            )));
        }
        self.ints("int64")
    }

    /// Data as float32 (exact: the decimals are those of float32 values).
    pub fn f32_data(&self) -> Result<Vec<f32>, VectorError> {
        self.check_len()?;
        Ok(self.data.iter().map(|&v| v as f32).collect())
    }

    /// Scales as the float32 values stored in the model.
    pub fn scales(&self) -> Vec<f32> {
        self.scale.iter().map(|&s| s as f32).collect()
    }

    /// The per-tensor scale.
    pub fn scale0(&self) -> Result<f32, VectorError> {
        self.scale
            .first()
            .map(|&s| s as f32)
            .ok_or_else(|| VectorError::Data("tensor has no scale".into()))
    }

    /// The per-tensor zero point.
    pub fn zp0(&self) -> Result<i32, VectorError> {
        let z = self.zero_point.first().copied().unwrap_or(0);
        i32::try_from(z).map_err(|_| VectorError::Data(format!("zero point {z} out of range")))
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// True for an empty tensor.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// TFLite padding scheme as written in the vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaddingName {
    /// SAME.
    Same,
    /// VALID.
    Valid,
}

impl From<PaddingName> for nn_dsl::shape::Padding {
    fn from(p: PaddingName) -> Self {
        match p {
            PaddingName::Same => nn_dsl::shape::Padding::Same,
            PaddingName::Valid => nn_dsl::shape::Padding::Valid,
        }
    }
}

/// Fused activation as written in the vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActivationName {
    /// None.
    None,
    /// RELU.
    Relu,
    /// RELU6.
    Relu6,
}

impl From<ActivationName> for nn_dsl::quant::Activation {
    fn from(a: ActivationName) -> Self {
        match a {
            ActivationName::None => nn_dsl::quant::Activation::None,
            ActivationName::Relu => nn_dsl::quant::Activation::Relu,
            ActivationName::Relu6 => nn_dsl::quant::Activation::Relu6,
        }
    }
}

fn default_activation() -> ActivationName {
    ActivationName::None
}

/// `params` of conv2d and depthwise_conv2d.
#[derive(Debug, Clone, Deserialize)]
pub struct ConvOptions {
    /// SAME or VALID.
    pub padding: PaddingName,
    /// `[h, w]`.
    pub stride: [usize; 2],
    /// `[h, w]`.
    pub dilation: [usize; 2],
    /// Fused activation.
    pub activation: ActivationName,
    /// Depthwise only.
    #[serde(default)]
    pub depth_multiplier: Option<usize>,
}

/// `params` of transpose_conv (TFLite TRANSPOSE_CONV; `inputs` are `[input, filter, bias?]`).
#[derive(Debug, Clone, Deserialize)]
pub struct TransposeConvOptions {
    /// SAME or VALID.
    pub padding: PaddingName,
    /// `[h, w]`.
    pub stride: [usize; 2],
    /// Fused activation.
    pub activation: ActivationName,
    /// The constant `output_shape` operand, `[1, H, W, C]`.
    pub output_shape: [usize; 4],
    /// Whether the operator has a bias operand.
    pub bias: bool,
}

/// `params` of fully_connected.
#[derive(Debug, Clone, Deserialize)]
pub struct FullyConnectedOptions {
    /// Fused activation.
    pub activation: ActivationName,
    /// TFLite `keep_num_dims`.
    #[serde(default)]
    pub keep_num_dims: bool,
}

/// `params` of max_pool2d and avg_pool2d.
#[derive(Debug, Clone, Deserialize)]
pub struct PoolOptions {
    /// SAME or VALID.
    pub padding: PaddingName,
    /// `[h, w]`.
    pub stride: [usize; 2],
    /// `[h, w]` window.
    pub filter: [usize; 2],
    /// Fused activation.
    pub activation: ActivationName,
}

/// `params` of add, mul and concat.
#[derive(Debug, Clone, Deserialize)]
pub struct ActivationOptions {
    /// Fused activation.
    #[serde(default = "default_activation")]
    pub activation: ActivationName,
    /// concat only: the axis as stored (may be negative).
    #[serde(default)]
    pub axis: Option<i64>,
}

/// `params` of softmax.
#[derive(Debug, Clone, Deserialize)]
pub struct SoftmaxOptions {
    /// beta (a float32 value).
    pub beta: f64,
}

/// `params` of add_const, mul_const.
#[derive(Debug, Clone, Deserialize)]
pub struct ConstOperandOptions {
    /// Fused activation.
    pub activation: ActivationName,
    /// Which operand (0 or 1) is the constant.
    pub constant: usize,
}

/// `params` of leaky_relu.
#[derive(Debug, Clone, Deserialize)]
pub struct LeakyReluOptions {
    /// alpha (a float32 value).
    pub alpha: f64,
}

/// `params` of pad.
#[derive(Debug, Clone, Deserialize)]
pub struct PadOptions {
    /// `[before, after]` per dimension.
    pub paddings: Vec<[usize; 2]>,
}

/// `params` of resize_nearest_neighbor.
#[derive(Debug, Clone, Deserialize)]
pub struct ResizeOptions {
    /// Output `[height, width]`.
    pub size: [usize; 2],
    /// Corner pixels aligned.
    pub align_corners: bool,
    /// Pixel-centre sampling.
    pub half_pixel_centers: bool,
}

/// `params` of split: the case's output is part `index` of `num_splits`.
#[derive(Debug, Clone, Deserialize)]
pub struct SplitOptions {
    /// Axis as stored (may be negative).
    pub axis: i64,
    /// Equal parts.
    pub num_splits: usize,
    /// The part the case checks.
    pub index: usize,
}

/// `params` of strided_slice: the stored begin/end/strides and masks.
#[derive(Debug, Clone, Deserialize)]
pub struct StridedSliceOptions {
    /// Begin per stored axis.
    pub begin: Vec<i64>,
    /// End per stored axis.
    pub end: Vec<i64>,
    /// Stride per stored axis.
    pub strides: Vec<i64>,
    /// `begin_mask`.
    pub begin_mask: i32,
    /// `end_mask`.
    pub end_mask: i32,
    /// `ellipsis_mask`.
    pub ellipsis_mask: i32,
    /// `new_axis_mask`.
    pub new_axis_mask: i32,
    /// `shrink_axis_mask`.
    pub shrink_axis_mask: i32,
}

impl StridedSliceOptions {
    /// The slice resolved against the stored input shape (batch axis included).
    ///
    /// # Errors
    /// The resolution's message.
    pub fn resolve(
        &self,
        shape: &[usize],
    ) -> Result<(Vec<nn_dsl::shape::SliceAxis>, Vec<usize>), String> {
        nn_dsl::shape::tflite_strided_slice(
            shape,
            &self.begin,
            &self.end,
            &self.strides,
            nn_dsl::shape::SliceMasks {
                begin_mask: self.begin_mask,
                end_mask: self.end_mask,
                ellipsis_mask: self.ellipsis_mask,
                new_axis_mask: self.new_axis_mask,
                shrink_axis_mask: self.shrink_axis_mask,
            },
        )
    }
}

/// `params` of mean.
#[derive(Debug, Clone, Deserialize)]
pub struct MeanOptions {
    /// Axes as stored (may be negative).
    pub axis: Vec<i64>,
    /// TFLite `keep_dims`.
    #[serde(default)]
    pub keep_dims: bool,
}

/// `tests/vectors/`.
pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

fn read_json<T: for<'de> Deserialize<'de>>(path: PathBuf) -> Result<T, VectorError> {
    let text = std::fs::read_to_string(&path).map_err(|e| VectorError::Io(path.clone(), e))?;
    serde_json::from_str(&text).map_err(|e| VectorError::Json(path, e))
}

/// `tests/vectors/q7q15/manifest.json` (written by `tools/oracle/gen_q7q15.py`).
#[derive(Debug, Clone, Deserialize)]
pub struct Q7Manifest {
    /// Cases per kernel file, and of the q7 and q15 networks (`q7_cnn`, `q15_net`).
    pub cases: BTreeMap<String, usize>,
}

/// One recorded case of a q7 network (`tests/vectors/q7q15/<network>.json`): the q7 input and
/// the reference output.
#[derive(Debug, Clone, Deserialize)]
pub struct Q7NetworkCase {
    /// The input, flattened.
    pub input: Vec<i8>,
    /// The output the reference loops give.
    pub output: Vec<i8>,
}

#[derive(Deserialize)]
struct Q7NetworkFile {
    cases: Vec<Q7NetworkCase>,
}

/// One recorded case of a q15 network (`tests/vectors/q7q15/<network>.json`): the q15 input
/// and the reference output.
#[derive(Debug, Clone, Deserialize)]
pub struct Q15NetworkCase {
    /// The input, flattened.
    pub input: Vec<i16>,
    /// The output the reference loops give.
    pub output: Vec<i16>,
}

#[derive(Deserialize)]
struct Q15NetworkFile {
    cases: Vec<Q15NetworkCase>,
}

/// Load the cases of the q15 network `tests/vectors/q7q15/<network>.json`.
pub fn load_q15_network(network: &str) -> Result<Vec<Q15NetworkCase>, VectorError> {
    let file: Q15NetworkFile =
        read_json(vectors_dir().join("q7q15").join(format!("{network}.json")))?;
    Ok(file.cases)
}

/// Load `tests/vectors/q7q15/manifest.json`.
pub fn load_q7_manifest() -> Result<Q7Manifest, VectorError> {
    read_json(vectors_dir().join("q7q15").join("manifest.json"))
}

/// Load the cases of the q7 network `tests/vectors/q7q15/<network>.json`.
pub fn load_q7_network(network: &str) -> Result<Vec<Q7NetworkCase>, VectorError> {
    let file: Q7NetworkFile =
        read_json(vectors_dir().join("q7q15").join(format!("{network}.json")))?;
    Ok(file.cases)
}

/// Load `tests/vectors/manifest.json`.
pub fn load_manifest() -> Result<Manifest, VectorError> {
    read_json(vectors_dir().join("manifest.json"))
}

/// Load `tests/vectors/ops/<op>.json`, checking that the file names the same op.
pub fn load_op(op: &str) -> Result<OpFile, VectorError> {
    let path = vectors_dir().join("ops").join(format!("{op}.json"));
    let file: OpFile = read_json(path)?;
    if file.op != op {
        return Err(VectorError::Data(format!(
            "{op}.json names op {:?}",
            file.op
        )));
    }
    Ok(file)
}

/// Load only the first `max_cases` cases of `tests/vectors/ops/<op>.json`, without parsing
/// the rest of the file: the case objects are cut out of the text by bracket matching (outside
/// strings) and each is parsed on its own. This keeps the Miri run (where parsing a
/// half-megabyte file costs many minutes) to the cases it uses. With `usize::MAX` it is
/// [`load_op`].
pub fn load_op_prefix(op: &str, max_cases: usize) -> Result<OpFile, VectorError> {
    if max_cases == usize::MAX {
        return load_op(op);
    }
    let path = vectors_dir().join("ops").join(format!("{op}.json"));
    let bytes = std::fs::read(&path).map_err(|e| VectorError::Io(path.clone(), e))?;
    let bad = |m: &str| VectorError::Data(format!("{}: {m}", path.display()));
    let key = b"\"cases\"";
    let at = bytes
        .windows(key.len())
        .position(|w| w == key)
        .ok_or_else(|| bad("no \"cases\" key"))?;
    let head = String::from_utf8_lossy(&bytes[..at]);
    if !head.contains(&format!("\"op\": \"{op}\"")) && !head.contains(&format!("\"op\":\"{op}\"")) {
        return Err(bad("the file names another op"));
    }
    let mut i = at + key.len();
    while bytes.get(i).is_some_and(|&b| b != b'[') {
        i += 1;
    }
    let mut cases = Vec::new();
    let (mut depth, mut in_string, mut escaped, mut start) = (0usize, false, false, None);
    while let Some(&b) = bytes.get(i) {
        i += 1;
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                if depth == 1 && b == b'{' {
                    start = Some(i - 1);
                }
                depth += 1;
            }
            b'}' | b']' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| bad("unbalanced brackets"))?;
                if depth == 0 {
                    break;
                }
                if depth == 1 && b == b'}' {
                    let s = start.take().ok_or_else(|| bad("unbalanced brackets"))?;
                    let case: Case = serde_json::from_slice(&bytes[s..i])
                        .map_err(|e| VectorError::Json(path.clone(), e))?;
                    cases.push(case);
                    if cases.len() == max_cases {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(OpFile {
        op: op.to_string(),
        cases,
    })
}

/// Every op name of `docs/vectors.md`.
pub const OPS: [&str; 31] = [
    "conv2d",
    "depthwise_conv2d",
    "fully_connected",
    "max_pool2d",
    "avg_pool2d",
    "add",
    "mul",
    "softmax",
    "logistic",
    "tanh",
    "pad",
    "concat",
    "mean",
    "requantize",
    "quantize",
    "dequantize",
    "relu",
    "relu6",
    "leaky_relu",
    "hard_swish",
    "sub",
    "maximum",
    "minimum",
    "prelu",
    "add_const",
    "mul_const",
    "conv2d_grouped",
    "resize_nearest_neighbor",
    "split",
    "strided_slice",
    "transpose_conv",
];

/// The ops of TFLite's 16x8 scheme with oracle vectors (`tests/vectors/ops/<op>.json`): int16
/// activations, int8 weights, int64 biases. Kept apart from [`OPS`], whose cases also run on the
/// emulated targets.
pub const OPS_16X8: [&str; 18] = [
    "conv2d_16x8",
    "depthwise_conv2d_16x8",
    "fully_connected_16x8",
    "max_pool2d_16x8",
    "avg_pool2d_16x8",
    "add_16x8",
    "mul_16x8",
    "quantize_16x8",
    "dequantize_16x8",
    "pad_16x8",
    "strided_slice_16x8",
    "split_16x8",
    "resize_nearest_neighbor_16x8",
    "logistic_16x8",
    "tanh_16x8",
    "softmax_16x8",
    "concat_16x8",
    "requantize_16x8",
];

/// Compare two outputs element by element. `None` when equal; otherwise a report with the
/// case name, the first differing index, both values there, and the number of differing
/// elements.
pub fn compare<T: PartialEq + fmt::Debug>(case: &str, got: &[T], want: &[T]) -> Option<String> {
    if got.len() != want.len() {
        return Some(format!(
            "{case}: output length {} but TFLM produced {}",
            got.len(),
            want.len()
        ));
    }
    let mut diffs = got
        .iter()
        .zip(want)
        .enumerate()
        .filter(|(_, (g, w))| g != w);
    let (first, (g, w)) = diffs.next()?;
    let count = 1 + diffs.count();
    Some(format!(
        "{case}: first difference at index {first}: got {g:?}, TFLM {w:?}; {count} of {} elements differ",
        want.len()
    ))
}
