//! Int16 SOFTMAX (TFLite's 16x8 scheme; TFLM `reference_ops::SoftmaxInt16`): int16 input with
//! zero point 0, int16 output in Q0.15 (scale 2^-15, zero point 0), per row of the last axis.
//!
//! Per row: each `x - max` is rescaled by `input_scale * beta / (10 / 65535)` (so that
//! `[-65535, 0]` spans `[-10, 0]`), recentred by +32767, saturated to int16 and looked up in
//! [`EXP_LUT`] (`exp` on `[-10, 0]`); the sum of those Q0.15 values is normalised to its leading
//! one (`headroom = clz(sum)`), rounded to Q1.14 and recentred, and [`ONE_OVER_ONE_PLUS_X_LUT`]
//! (`1 / (1 + x)` on `[0, 1]`) gives the reciprocal; each output is `exp * reciprocal`, rounded
//! right by `31 - headroom`, clamped to `[0, 32767]`.
//!
//! Both tables are TFLite's `LUTPopulate<int16_t>` for those two functions: 513 values, the
//! function sampled in `f32` at 512 steps with a correction of half the interpolation error at
//! each midpoint. They do not depend on the model, so they are constants here; the unit test
//! below recomputes them with that formula and the `softmax_16x8` oracle cases check them against
//! TFLM.

use crate::error::check_len;
use crate::fixedpoint::multiply_by_quantized_multiplier;
use crate::{KernelError, KernelResult};

/// `exp(x)` for `x` in `[-10, 0]` (input `-32768..=32767`), Q0.15.
pub const EXP_LUT: [i16; 513] = [
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5,
    5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9,
    10, 10, 10, 10, 10, 11, 11, 11, 11, 11, 12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15,
    15, 16, 16, 16, 17, 17, 17, 18, 18, 18, 19, 19, 19, 20, 20, 21, 21, 21, 22, 22, 23, 23, 24, 24,
    25, 25, 26, 26, 27, 27, 28, 28, 29, 29, 30, 30, 31, 32, 32, 33, 34, 34, 35, 36, 36, 37, 37, 38,
    39, 40, 40, 42, 42, 43, 44, 45, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 59, 60, 60,
    62, 63, 65, 65, 67, 68, 69, 71, 73, 74, 75, 77, 78, 80, 81, 83, 85, 86, 88, 90, 92, 93, 95, 97,
    99, 101, 103, 105, 107, 109, 112, 114, 116, 118, 121, 123, 126, 128, 131, 133, 135, 139, 141,
    144, 147, 149, 152, 155, 158, 162, 165, 168, 171, 174, 178, 181, 185, 189, 192, 196, 200, 204,
    208, 212, 217, 221, 225, 230, 234, 239, 243, 248, 253, 258, 263, 268, 273, 279, 284, 290, 296,
    302, 308, 314, 320, 327, 333, 340, 346, 353, 360, 366, 374, 381, 389, 397, 404, 413, 421, 429,
    437, 446, 455, 464, 473, 482, 492, 501, 511, 522, 532, 543, 553, 564, 575, 586, 598, 610, 622,
    634, 646, 659, 672, 685, 699, 713, 727, 741, 756, 771, 786, 801, 817, 833, 850, 866, 884, 901,
    919, 937, 955, 974, 993, 1013, 1033, 1053, 1074, 1095, 1117, 1139, 1161, 1184, 1207, 1232,
    1256, 1281, 1306, 1332, 1358, 1385, 1412, 1440, 1468, 1497, 1527, 1557, 1587, 1619, 1651, 1683,
    1716, 1750, 1785, 1820, 1856, 1892, 1930, 1968, 2006, 2046, 2087, 2128, 2170, 2212, 2256, 2300,
    2346, 2392, 2439, 2488, 2537, 2587, 2638, 2690, 2743, 2796, 2852, 2908, 2966, 3024, 3084, 3145,
    3207, 3270, 3334, 3400, 3467, 3535, 3605, 3677, 3749, 3822, 3898, 3975, 4053, 4133, 4214, 4297,
    4383, 4469, 4557, 4647, 4739, 4833, 4927, 5024, 5124, 5225, 5328, 5433, 5541, 5649, 5761, 5875,
    5991, 6109, 6230, 6352, 6477, 6605, 6736, 6868, 7004, 7141, 7282, 7427, 7572, 7722, 7874, 8030,
    8188, 8350, 8514, 8683, 8854, 9028, 9206, 9387, 9572, 9762, 9954, 10151, 10351, 10555, 10763,
    10976, 11191, 11412, 11637, 11867, 12102, 12341, 12583, 12831, 13085, 13342, 13606, 13874,
    14148, 14427, 14711, 15002, 15297, 15599, 15907, 16221, 16541, 16867, 17199, 17539, 17884,
    18237, 18597, 18964, 19338, 19719, 20108, 20505, 20909, 21322, 21742, 22171, 22608, 23054,
    23509, 23973, 24445, 24928, 25419, 25921, 26432, 26953, 27485, 28027, 28580, 29143, 29718,
    30304, 30902, 31512, 32133, 32767,
];

/// `1 / (1 + x)` for `x` in `[0, 1]` (input `-32768..=32767`), Q0.15.
pub const ONE_OVER_ONE_PLUS_X_LUT: [i16; 513] = [
    32767, 32704, 32640, 32578, 32514, 32451, 32388, 32326, 32264, 32202, 32141, 32079, 32018,
    31957, 31896, 31835, 31775, 31715, 31655, 31596, 31537, 31476, 31418, 31359, 31301, 31242,
    31184, 31127, 31069, 31011, 30954, 30897, 30840, 30784, 30727, 30671, 30615, 30560, 30504,
    30449, 30394, 30339, 30283, 30229, 30175, 30121, 30067, 30013, 29960, 29906, 29853, 29800,
    29746, 29694, 29642, 29589, 29537, 29486, 29434, 29382, 29331, 29280, 29229, 29177, 29127,
    29076, 29026, 28976, 28926, 28877, 28827, 28777, 28728, 28679, 28630, 28581, 28532, 28484,
    28436, 28388, 28340, 28292, 28244, 28197, 28150, 28103, 28056, 28008, 27962, 27915, 27869,
    27823, 27777, 27731, 27685, 27640, 27594, 27549, 27504, 27459, 27413, 27369, 27324, 27280,
    27236, 27192, 27148, 27104, 27060, 27016, 26973, 26930, 26887, 26844, 26801, 26758, 26715,
    26673, 26630, 26588, 26546, 26504, 26463, 26421, 26380, 26338, 26297, 26255, 26214, 26174,
    26132, 26092, 26051, 26011, 25971, 25931, 25891, 25851, 25811, 25772, 25732, 25693, 25653,
    25614, 25575, 25536, 25497, 25458, 25420, 25381, 25343, 25305, 25267, 25229, 25191, 25153,
    25116, 25078, 25041, 25003, 24966, 24928, 24892, 24855, 24818, 24781, 24745, 24709, 24672,
    24636, 24600, 24564, 24528, 24492, 24457, 24421, 24385, 24350, 24315, 24280, 24245, 24210,
    24175, 24140, 24105, 24070, 24036, 24002, 23967, 23933, 23899, 23865, 23831, 23798, 23764,
    23730, 23697, 23664, 23630, 23597, 23564, 23530, 23498, 23465, 23432, 23399, 23366, 23334,
    23302, 23269, 23237, 23205, 23173, 23141, 23109, 23077, 23046, 23014, 22982, 22951, 22920,
    22888, 22857, 22826, 22795, 22764, 22733, 22703, 22672, 22641, 22611, 22580, 22550, 22520,
    22490, 22459, 22429, 22400, 22370, 22340, 22310, 22281, 22251, 22221, 22192, 22163, 22134,
    22104, 22075, 22046, 22017, 21988, 21959, 21931, 21902, 21874, 21845, 21817, 21788, 21760,
    21732, 21704, 21676, 21648, 21620, 21592, 21565, 21537, 21509, 21482, 21455, 21427, 21400,
    21372, 21345, 21318, 21291, 21264, 21237, 21210, 21183, 21157, 21130, 21103, 21077, 21050,
    21024, 20998, 20971, 20945, 20919, 20893, 20867, 20841, 20816, 20790, 20764, 20738, 20713,
    20687, 20662, 20636, 20611, 20586, 20560, 20535, 20510, 20485, 20460, 20435, 20410, 20385,
    20360, 20336, 20311, 20287, 20262, 20238, 20213, 20189, 20165, 20141, 20117, 20092, 20068,
    20044, 20021, 19997, 19973, 19949, 19926, 19902, 19878, 19855, 19832, 19808, 19784, 19762,
    19738, 19715, 19692, 19668, 19645, 19622, 19600, 19577, 19553, 19531, 19508, 19485, 19463,
    19440, 19418, 19395, 19373, 19351, 19328, 19306, 19284, 19262, 19240, 19218, 19196, 19174,
    19152, 19130, 19109, 19087, 19065, 19044, 19022, 19000, 18979, 18958, 18936, 18915, 18893,
    18872, 18851, 18830, 18809, 18787, 18766, 18745, 18725, 18704, 18682, 18662, 18641, 18620,
    18600, 18579, 18559, 18538, 18518, 18497, 18477, 18457, 18436, 18416, 18396, 18376, 18356,
    18336, 18316, 18296, 18276, 18256, 18236, 18216, 18197, 18177, 18157, 18138, 18118, 18099,
    18079, 18059, 18040, 18021, 18001, 17982, 17963, 17944, 17924, 17905, 17886, 17867, 17848,
    17829, 17810, 17791, 17772, 17754, 17735, 17716, 17697, 17679, 17660, 17641, 17623, 17604,
    17586, 17568, 17549, 17531, 17513, 17494, 17476, 17458, 17440, 17422, 17404, 17386, 17368,
    17350, 17332, 17314, 17296, 17278, 17261, 17243, 17225, 17208, 17190, 17172, 17155, 17137,
    17120, 17102, 17085, 17067, 17050, 17033, 17015, 16999, 16981, 16964, 16947, 16930, 16913,
    16895, 16878, 16862, 16845, 16828, 16810, 16794, 16777, 16760, 16743, 16727, 16710, 16693,
    16677, 16660, 16644, 16627, 16611, 16594, 16578, 16562, 16545, 16529, 16513, 16497, 16480,
    16464, 16448, 16432, 16416, 16400, 16384,
];

/// TFLite's int16 table lookup with linear interpolation (`LUTLookup`): 512 intervals of 128
/// inputs each.
#[inline(always)]
#[must_use]
pub fn lut_lookup(value: i16, lut: &[i16; 513]) -> i16 {
    let index = (256 + (i32::from(value) >> 7)) as usize;
    let offset = i32::from(value & 0x7f);
    let base = lut.get(index).copied().unwrap_or(0);
    let next = lut.get(index + 1).copied().unwrap_or(base);
    let slope = i32::from(next.wrapping_sub(base));
    let delta = (slope * offset + 64) >> 7;
    (i32::from(base) + delta) as i16
}

/// The parameters of one int16 softmax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Softmax16Params {
    /// Rows (the product of every dimension but the last).
    pub rows: usize,
    /// The last dimension.
    pub depth: usize,
    /// Q31 multiplier of `input_scale * beta / (10 / 65535)`.
    pub input_multiplier: i32,
    /// Its shift (`-31..=31`).
    pub input_shift: i32,
}

/// Runs the int16 softmax of `input` into `output` (both `rows * depth`).
///
/// # Errors
/// [`KernelError::Length`] on wrong slice lengths, [`KernelError::Param`] for a zero depth, a
/// depth above 65536 (the sum of a row must fit TFLM's int32) or a shift outside `-31..=31`.
pub fn softmax_s16(p: &Softmax16Params, input: &[i16], output: &mut [i16]) -> KernelResult {
    if p.depth == 0 || p.depth > 65536 {
        return Err(KernelError::Param("softmax: depth outside 1..=65536"));
    }
    if !(-31..=31).contains(&p.input_shift) {
        return Err(KernelError::Param("shift outside -31..=31"));
    }
    let len = p
        .rows
        .checked_mul(p.depth)
        .ok_or(KernelError::Param("softmax: size overflow"))?;
    check_len("input", len, input.len())?;
    check_len("output", len, output.len())?;
    // Rows by index (the lengths were checked): no chunk iterator with a divisor to prove
    // non-zero.
    let depth = p.depth;
    for r in 0..p.rows {
        let (Some(x), Some(y)) = (
            input.get(r * depth..(r + 1) * depth),
            output.get_mut(r * depth..(r + 1) * depth),
        ) else {
            break;
        };
        let max = x.iter().copied().max().unwrap_or(i16::MIN);
        let mut sum = 0i32;
        for (&v, e) in x.iter().zip(y.iter_mut()) {
            let diff = i32::from(v) - i32::from(max);
            let scaled = multiply_by_quantized_multiplier(diff, p.input_multiplier, p.input_shift);
            let centred = scaled.saturating_add(32767).clamp(-32768, 32767) as i16;
            *e = lut_lookup(centred, &EXP_LUT);
            sum = sum.wrapping_add(i32::from(*e));
        }
        let headroom_plus_one = (sum as u32).leading_zeros();
        let shifted =
            ((i64::from(sum) << headroom_plus_one.saturating_sub(1).min(62)) + (1 << 13)) >> 14;
        let centred = (shifted - ((1 << 15) + (1 << 16))).clamp(-32768, 32767) as i16;
        let reciprocal = i64::from(lut_lookup(centred, &ONE_OVER_ONE_PLUS_X_LUT));
        let right_shift = 31u32.saturating_sub(headroom_plus_one).clamp(1, 62);
        let round = 1i64 << (right_shift - 1);
        for e in y.iter_mut() {
            let r = (i64::from(*e) * reciprocal + round) >> right_shift;
            *e = r.clamp(0, 32767) as i16;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TFLite's `LUTPopulateInt16<float>`.
    fn populate(scale_in: f32, zp_in: i32, scale_out: f32, f: fn(f32) -> f32) -> Vec<i16> {
        let input_min = scale_in * ((i32::from(i16::MIN) - zp_in) as f32);
        let input_max = scale_in * ((i32::from(i16::MAX) - zp_in) as f32);
        let output_min = scale_out * f32::from(i16::MIN);
        let output_max = scale_out * f32::from(i16::MAX);
        let step = (input_max - input_min) / 512.0;
        let half = step / 2.0;
        let inv = 65536.0f32 / (output_max - output_min);
        let clamp = |v: f32| v.clamp(-32768.0, 32767.0) as i16;
        let mut lut: Vec<i16> = (0..512)
            .map(|i| {
                let val = f(input_min + i as f32 * step);
                let mid = f(input_min + i as f32 * step + half);
                let next = f(input_min + (i + 1) as f32 * step);
                let sample = (val * inv).round();
                let interp = ((next * inv + (val * inv).round()) / 2.0).round();
                let bias = ((interp - (mid * inv).round()) / 2.0).round();
                clamp(sample - bias)
            })
            .collect();
        lut.push(clamp((f(input_max) * inv).round()));
        lut
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "Miri perturbs the results of exp and other transcendental functions by design"
    )]
    fn tables_are_tflites_lut_populate() {
        let range = 65535.0f32;
        let exp = populate(10.0 / range, 32767, 2.0 / range, f32::exp);
        assert_eq!(exp, EXP_LUT.to_vec());
        let one = populate(1.0 / range, -32768, 2.0 / range, |v| 1.0 / (1.0 + v));
        assert_eq!(one, ONE_OVER_ONE_PLUS_X_LUT.to_vec());
    }

    #[test]
    fn a_row_sums_to_about_one_and_keeps_its_order() {
        // Input scale 1/4096, beta 1: multiplier 4096^-1 * 6553.5 = 1.6 -> (0.8 * 2^31, 1).
        let p = Softmax16Params {
            rows: 1,
            depth: 4,
            input_multiplier: 1_717_986_918,
            input_shift: 1,
        };
        let x = [4096i16, 0, -4096, 2048];
        let mut y = [0i16; 4];
        softmax_s16(&p, &x, &mut y).unwrap();
        let sum: i32 = y.iter().map(|&v| i32::from(v)).sum();
        assert!((sum - 32768).abs() < 64, "{y:?}");
        assert!(y[0] > y[3] && y[3] > y[1] && y[1] > y[2], "{y:?}");
        let bad = Softmax16Params { depth: 0, ..p };
        assert!(softmax_s16(&bad, &[], &mut []).is_err());
    }
}
