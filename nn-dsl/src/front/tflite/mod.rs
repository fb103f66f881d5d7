//! The `.tflite` front end: a bounds-checked reader of TensorFlow Lite flatbuffers.
