#!/usr/bin/env bash
# No-panic check of generated code and the kernels it calls (docs/codegen.md).
#
# 1. `nndc build` writes the modules of five oracle networks (the MLPerf Tiny four: DS-CNN KWS,
#    MobileNetV1 VWW, ResNet-8 with ADD, the FC autoencoder; and concat_mul with MEAN, MUL,
#    CONCATENATION, LOGISTIC), and KWS and VWW again with --in-place --io-in-arena, into a
#    scratch directory, for the target given by --target.
# 2. tests/nostd-check (`#![no_std]`, `#![no_main]`, its own `#[panic_handler]`) links them, plus
#    every other typed kernel wrapper with opaque parameters, for thumbv7em-none-eabihf in release
#    with panic = "abort".
# 3. llvm-nm lists the linked ELF's symbols: any `core::panicking::*` symbol means a panic path
#    survived (slice index, division, overflow, unwrap) and the check fails, naming the symbols.
# 4. Self-test: the same crate with feature `panic-probe` (one bounds-checked index) must FAIL the
#    check, so an empty grep cannot pass by accident.
#
# Needs: rustup targets thumbv7em-none-eabihf (aarch64-unknown-none for the AArch64 targets,
# riscv64gc-unknown-none-elf for k210) and
# component llvm-tools (installed by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# --target NAME: the code-generation target of the modules (default generic; cortex-m4 and
# cortex-m7 call the nn_kernels::cortex_m kernels and link for thumbv7em-none-eabihf; aarch64 and
# aarch64-dotprod, aarch64-i8mm call the nn_kernels::aarch64 kernels and link for
# aarch64-unknown-none, with -C target-feature=+dotprod(,+i8mm) for the latter two; k210 calls
# the nn_kernels::rv64 kernels and links for riscv64gc-unknown-none-elf).
codegen_target=generic
if [[ ${1:-} == --target ]]; then
    codegen_target=${2:?--target needs a name}
fi

target_dir=${CARGO_TARGET_DIR:-target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac
gen=$target_dir/nostd-check/gen/$codegen_target
mkdir -p "$gen"

host=$(rustc -vV | sed -n 's/^host: //p')
nm=$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-nm
if [[ ! -x $nm ]]; then
    echo "error: $nm not found (rustup component add llvm-tools)" >&2
    exit 2
fi

models=tests/vectors/models
nndc=(cargo run -q --locked -p nn-dsl --bin nndc --)
t=(--target "$codegen_target")
"${nndc[@]}" build $models/ds_cnn_kws.tflite "${t[@]}" --name Kws -o "$gen/kws.rs" 2>/dev/null
"${nndc[@]}" build $models/resnet8_cifar.tflite "${t[@]}" --name Resnet8 -o "$gen/resnet8.rs" 2>/dev/null
"${nndc[@]}" build $models/concat_mul.tflite "${t[@]}" --name ConcatMul -o "$gen/concat_mul.rs" 2>/dev/null
"${nndc[@]}" build $models/mobilenet_v1_025_vww.tflite "${t[@]}" --name Vww -o "$gen/vww.rs" 2>/dev/null
"${nndc[@]}" build $models/fc_autoencoder.tflite "${t[@]}" --name FcAutoencoder -o "$gen/fc_autoencoder.rs" 2>/dev/null
# Row-by-row in place, input and output in the arena (the row loops and run_in_arena).
"${nndc[@]}" build $models/ds_cnn_kws.tflite "${t[@]}" --name KwsInPlace --in-place --io-in-arena \
    -o "$gen/kws_in_place.rs" 2>/dev/null
"${nndc[@]}" build $models/mobilenet_v1_025_vww.tflite "${t[@]}" --name VwwInPlace --in-place \
    --io-in-arena -o "$gen/vww_in_place.rs" 2>/dev/null
# A q7 network (the power-of-two kernels of nn_kernels::q7q15).
"${nndc[@]}" build nn-macros/tests/ui/data/q7_cnn.nnd "${t[@]}" -o "$gen/q7_cnn.rs" 2>/dev/null
# A q15 network (int16 tensors, the `_q15` power-of-two kernels).
"${nndc[@]}" build nn-macros/tests/ui/data/q15_net.nnd "${t[@]}" -o "$gen/q15_net.rs" 2>/dev/null
# The 16x8 network (int16 activations: nn_kernels' _s16 kernels).
"${nndc[@]}" build $models/cnn_16x8.tflite "${t[@]}" --name Cnn16x8 -o "$gen/cnn_16x8.rs" 2>/dev/null
# A stateful network (SVDF layers, int16 and int8 state: nn_kernels::svdf).
"${nndc[@]}" build tests/vectors/stateful/svdf_kws.tflite "${t[@]}" --name SvdfKws -o "$gen/svdf_kws.rs" 2>/dev/null
# A recurrent network (two LSTM layers, int16 cell states: nn_kernels::lstm).
"${nndc[@]}" build tests/vectors/stateful/lstm_classifier.tflite "${t[@]}" --name LstmClassifier \
    -o "$gen/lstm_classifier.rs" 2>/dev/null
# Fused residual blocks (ring copies and row windows of four layers per output row).
"${nndc[@]}" build $models/resnet8_cifar.tflite "${t[@]}" --name Resnet8InPlace --in-place \
    --io-in-arena -o "$gen/resnet8_in_place.rs" 2>/dev/null

triple=thumbv7em-none-eabihf
rustflags=
case $codegen_target in
    aarch64) triple=aarch64-unknown-none ;;
    aarch64-dotprod) triple=aarch64-unknown-none; rustflags="-C target-feature=+dotprod" ;;
    aarch64-i8mm) triple=aarch64-unknown-none; rustflags="-C target-feature=+dotprod,+i8mm" ;;
    k210) triple=riscv64gc-unknown-none-elf ;;
esac
build() {
    NND_GEN_DIR=$gen RUSTFLAGS="$rustflags" cargo build -q --locked --release --target $triple \
        --manifest-path tests/nostd-check/Cargo.toml \
        --target-dir "$target_dir/nostd-check/target-$codegen_target" "$@"
}
elf=$target_dir/nostd-check/target-$codegen_target/$triple/release/nnd-nostd-check

# Prints the panic symbols of the ELF; returns 1 when there are any.
panics() {
    local found
    found=$("$nm" --demangle "$1" | grep -E 'core::panicking' || true)
    if [[ -n $found ]]; then
        printf '%s\n' "$found"
        return 1
    fi
}

build
symbols=$("$nm" --defined-only "$elf" | wc -l)
text=$("$(dirname "$nm")/llvm-size" "$elf" | awk 'NR == 2 { print $1 }')
if ! found=$(panics "$elf"); then
    echo "FAIL: $elf contains panic paths:" >&2
    printf '%s\n' "$found" >&2
    echo "functions that branch to them:" >&2
    "$(dirname "$nm")/llvm-objdump" -d --demangle "$elf" \
        | awk '/^[0-9a-f]+ <.*>:$/ { fn = $2 }
               /\tbl?(\.w)?\t.*<core::(panicking|slice::.*fail|.*_fail)/ { print "  " fn }' \
        | sort -u >&2
    exit 1
fi
# The symbol table, read once (`nm | grep -q` would fail under pipefail when grep exits early).
table=$("$nm" --demangle "$elf")
# The networks and every kernel must really be linked (not optimised away), or the check would
# prove nothing: each module's weight statics, and each kernel's entry point.
networks=(kws resnet8 concat_mul vww fc_autoencoder kws_in_place vww_in_place q7_cnn q15_net cnn_16x8
    svdf_kws lstm_classifier)
for m in "${networks[@]}"; do
    if ! grep -q "nnd_nostd_check::$m::" <<<"$table"; then
        echo "FAIL: no statics of module $m in the binary; the check would be vacuous" >&2
        exit 1
    fi
done
if [[ $codegen_target == cortex-m* ]]; then
    # The networks call the DSP kernels; the portable kernels they replace are not linked.
    kernels=(cortex_m::conv::conv_s8 cortex_m::depthwise::depthwise_s8
        cortex_m::fully_connected::fully_connected_s8 cortex_m::add::add_s8
        cortex_m::pool::max_pool_s8 cortex_m::pool::avg_pool_s8 cortex_m::softmax::softmax_s8
        mul::mul_s8 mean::mean_s8 concat::concat_s8 pad::pad_s8 resize::resize_nearest_s8
        strided_slice::strided_slice_s8 transpose_conv::transpose_conv_s8 logistic::logistic_s8
        relu::relu_s8 relu::relu6_s8 requantize::requantize_s8 quantize::quantize_f32_s8
        dequantize::dequantize_s8_f32)
elif [[ $codegen_target == aarch64* ]]; then
    # The NEON kernels; max pooling and softmax are the Cortex-M table kernels in plain Rust.
    conv=conv::conv_s8
    # `conv_dot_s8` is a thin wrapper inlined into its callers; `conv_dot` holds the code.
    if [[ $codegen_target == aarch64-dotprod ]]; then conv=conv::dot::conv_dot; fi
    if [[ $codegen_target == aarch64-i8mm ]]; then conv=conv::mm::conv_mm_s8; fi
    kernels=(aarch64::$conv aarch64::depthwise::depthwise_s8 aarch64::add::add_s8
        aarch64::pool::avg_pool_s8 cortex_m::pool::max_pool_s8 cortex_m::softmax::softmax_s8
        mul::mul_s8 mean::mean_s8 concat::concat_s8 pad::pad_s8 resize::resize_nearest_s8
        strided_slice::strided_slice_s8 transpose_conv::transpose_conv_s8 logistic::logistic_s8
        relu::relu_s8 relu::relu6_s8 requantize::requantize_s8 quantize::quantize_f32_s8
        dequantize::dequantize_s8_f32)
elif [[ $codegen_target == k210 ]]; then
    # The packed-lane kernels (the networks' depthwise layers take the row-buffer kernel; the
    # in-place one is called directly by the check binary); ADD, MUL, pooling and softmax are the
    # Cortex-M table kernels in plain Rust.
    kernels=(rv64::conv::conv_s8 rv64::depthwise::depthwise_rows_s8
        rv64::depthwise::depthwise_s8 cortex_m::add::add_s8
        cortex_m::pool::avg_pool_s8 cortex_m::pool::max_pool_s8 cortex_m::softmax::softmax_s8
        mul::mul_s8 mean::mean_s8 concat::concat_s8 pad::pad_s8 resize::resize_nearest_s8
        strided_slice::strided_slice_s8 transpose_conv::transpose_conv_s8 logistic::logistic_s8
        relu::relu_s8 relu::relu6_s8 requantize::requantize_s8 quantize::quantize_f32_s8
        dequantize::dequantize_s8_f32)
else
    kernels=(conv2d::conv2d_s8 depthwise_conv2d::depthwise_conv2d_s8
        fully_connected::fully_connected_s8 max_pool2d::max_pool2d_s8 avg_pool2d::avg_pool2d_s8
        add::add_s8 mul::mul_s8 mean::mean_s8 concat::concat_s8 pad::pad_s8 resize::resize_nearest_s8
        strided_slice::strided_slice_s8 transpose_conv::transpose_conv_s8 softmax::softmax_s8
        logistic::logistic_s8 tanh::tanh_s8 relu::relu_s8 relu::relu6_s8 requantize::requantize_s8
        quantize::quantize_f32_s8 dequantize::dequantize_s8_f32)
fi
# The 16x8 kernels (portable on every target; the 16x8 network and the check binary call them).
kernels+=(conv2d::conv2d_grouped_s16 depthwise_conv2d::depthwise_conv2d_s16
    fully_connected::fully_connected_s16 max_pool2d::max_pool2d_s16 avg_pool2d::avg_pool2d_s16
    add::add_s16 mul::mul_s16 quantize::quantize_f32_s16 dequantize::dequantize_s16_f32
    pad::pad_s16 strided_slice::strided_slice_s16 resize::resize_nearest_s16
    sigmoid16::logistic_s16 sigmoid16::tanh_s16 softmax16::softmax_s16 requantize::requantize_s16
    concat::concat_s16)
# The SVDF kernel (portable on every target). `svdf_s8` is generic over the state type and is
# inlined into the network's `run`; its argument check stays a function of its own.
kernels+=(svdf::check lstm::lstm_s8)
# The power-of-two kernels run on every target (portable).
kernels+=(q7q15::convolve_hwc_q7 q7q15::convolve_hwc_q15 q7q15::depthwise_conv_hwc_q7
    q7q15::fully_connected_q7 q7q15::fully_connected_q15 q7q15::fully_connected_mat_q7_vec_q15
    q7q15::maxpool_hwc_q7 q7q15::avepool_hwc_q7 q7q15::softmax_q7 q7q15::softmax_q15
    q7q15::activations_direct_q7 q7q15::activations_direct_q15)
for k in "${kernels[@]}"; do
    if ! grep -q "nn_kernels::$k" <<<"$table"; then
        echo "FAIL: nn_kernels::$k is not in the binary; the check would be vacuous" >&2
        exit 1
    fi
done
# For a Cortex-M target, the modules must really hold the DSP kernels' constants (requantisation
# tables exist only in code generated for them).
if [[ $codegen_target != generic ]] && ! grep -q "_RQ" <<<"$table"; then
    echo "FAIL: no $codegen_target requantisation tables in the binary; the modules do not use its kernels" >&2
    exit 1
fi
echo "no-panic ($codegen_target): ok ($elf: ${#networks[@]} networks and ${#kernels[@]} kernels linked, $symbols defined symbols, $text bytes of code and constants, no core::panicking symbol)"

build --features panic-probe
if panics "$elf" >/dev/null; then
    echo "FAIL: self-test: the panic-probe build has no core::panicking symbol; the check is blind" >&2
    exit 1
fi
echo "no-panic self-test: ok (the panic-probe build is rejected)"
