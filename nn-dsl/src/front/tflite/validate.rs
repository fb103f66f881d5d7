//! Model-level invariants checked after decoding: buffers and constant data sizes, quantisation
//! consistency, and the operators' execution order (which also rules out cycles).

use super::error::ReadError;
use super::model::{Model, Subgraph, Tensor};

/// Checks every invariant of `model` that decoding alone could not.
pub(crate) fn validate(model: &Model) -> Result<(), ReadError> {
    for sg in &model.subgraphs {
        for (i, t) in sg.tensors.iter().enumerate() {
            check_tensor(model, i, t)?;
        }
        check_graph(model, sg)?;
    }
    // The main subgraph is the network: it must read something and compute something (a network
    // without an input or an output has nothing to run, and no `.nnd` form to import to).
    if let Some(sg) = model.subgraph() {
        for (list, role) in [(&sg.inputs, "inputs"), (&sg.outputs, "outputs")] {
            if list.is_empty() {
                return Err(ReadError::Graph {
                    problem: format!(
                        "the main subgraph has no {role} (a network needs at least one)"
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Number of elements of `shape`, or `None` on overflow.
fn element_count(shape: &[usize]) -> Option<u64> {
    shape.iter().try_fold(1u64, |acc, &d| {
        u64::try_from(d).ok().and_then(|d| acc.checked_mul(d))
    })
}

fn check_tensor(model: &Model, index: usize, t: &Tensor) -> Result<(), ReadError> {
    let name = || t.name.clone();
    let Some(buffer) = model.buffers.get(t.buffer) else {
        return Err(ReadError::BufferIndex {
            tensor: index,
            name: name(),
            index: t.buffer,
            count: model.buffers.len(),
        });
    };
    let Some(elements) = element_count(&t.shape) else {
        return Err(ReadError::Shape {
            tensor: index,
            name: name(),
            problem: format!("the element count of shape {:?} overflows 64 bits", t.shape),
        });
    };
    if !buffer.data.is_empty() {
        match t.dtype.storage_bytes(elements) {
            None => {
                return Err(ReadError::Dtype {
                    tensor: index,
                    name: name(),
                    problem: format!(
                        "has constant data (buffer {}) but {} has no fixed element size",
                        t.buffer, t.dtype
                    ),
                })
            }
            Some(expected) if usize::try_from(expected).ok() != Some(buffer.data.len()) => {
                return Err(ReadError::BufferSize {
                    tensor: index,
                    name: name(),
                    dtype: t.dtype.to_string(),
                    shape: t.shape.clone(),
                    buffer: t.buffer,
                    expected,
                    actual: buffer.data.len(),
                })
            }
            Some(_) => {}
        }
    }
    let Some(q) = &t.quantization else {
        return Ok(());
    };
    let quant_err = |problem: String| ReadError::Quantization {
        tensor: index,
        name: name(),
        problem,
    };
    if !t.dtype.accepts_quantization() {
        return Err(ReadError::Dtype {
            tensor: index,
            name: name(),
            problem: format!(
                "has quantization parameters but its type {} is not a numeric type",
                t.dtype
            ),
        });
    }
    if q.scale.len() != q.zero_point.len() {
        return Err(quant_err(format!(
            "has {} but {} (they must pair up)",
            count(q.scale.len(), "scale"),
            count(q.zero_point.len(), "zero point")
        )));
    }
    if let Some((k, s)) = q
        .scale
        .iter()
        .enumerate()
        .find(|(_, s)| !(s.is_finite() && **s > 0.0))
    {
        return Err(quant_err(format!(
            "scale {k} is {s} (scales must be finite and positive)"
        )));
    }
    if q.is_per_channel() {
        let dim = q.quantized_dimension;
        let Some(&size) = t.shape.get(dim) else {
            return Err(quant_err(format!(
                "quantized_dimension {dim} is not an axis of shape {:?} (rank {})",
                t.shape,
                t.shape.len()
            )));
        };
        if size != q.scale.len() {
            return Err(quant_err(format!(
                "has {} per-channel scales but dimension {dim} of shape {:?} has size {size}",
                q.scale.len(),
                t.shape
            )));
        }
    }
    Ok(())
}

/// `1 scale`, `2 scales`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `tensor 3 "name"`, for messages.
fn tensor_label(sg: &Subgraph, t: usize) -> String {
    match sg.tensors.get(t) {
        Some(tensor) => format!("tensor {t} {:?}", tensor.name),
        None => format!("tensor {t}"),
    }
}

fn op_label(model: &Model, sg: &Subgraph, op: usize) -> String {
    let name = sg
        .operators
        .get(op)
        .and_then(|o| model.opcode(o))
        .map_or_else(|| "?".to_owned(), |c| c.name());
    format!("operator {op} ({name})")
}

/// Checks that operators are in execution order: each tensor has at most one producer, no
/// operator writes a constant or a subgraph input, and every operator reads only tensors that are
/// produced by an earlier operator, subgraph inputs, constants, variables or empty tensors.
fn check_graph(model: &Model, sg: &Subgraph) -> Result<(), ReadError> {
    let n = sg.tensors.len();
    // Tensors that need no producer.
    let mut available = vec![false; n];
    let mut is_input = vec![false; n];
    let mut is_const = vec![false; n];
    for (i, t) in sg.tensors.iter().enumerate() {
        let constant = model.tensor_data(t).is_some();
        let empty = element_count(&t.shape) == Some(0);
        if let (Some(a), Some(c)) = (available.get_mut(i), is_const.get_mut(i)) {
            *a = constant || empty || t.is_variable;
            *c = constant;
        }
    }
    for &t in &sg.inputs {
        if let (Some(a), Some(inp)) = (available.get_mut(t), is_input.get_mut(t)) {
            *a = true;
            *inp = true;
        }
    }

    let mut producer: Vec<Option<usize>> = vec![None; n];
    for (i, op) in sg.operators.iter().enumerate() {
        for (k, &t) in op.outputs.iter().enumerate() {
            let writes = || {
                format!(
                    "{} output {k} writes {}",
                    op_label(model, sg, i),
                    tensor_label(sg, t)
                )
            };
            if is_const.get(t).copied().unwrap_or(false) {
                return Err(ReadError::Graph {
                    problem: format!("{}, which is a constant (it has buffer data)", writes()),
                });
            }
            if is_input.get(t).copied().unwrap_or(false) {
                return Err(ReadError::Graph {
                    problem: format!("{}, which is a subgraph input", writes()),
                });
            }
            if let Some(slot) = producer.get_mut(t) {
                if let Some(first) = *slot {
                    return Err(ReadError::Graph {
                        problem: format!(
                            "{}, which {} already writes (a tensor has one producer)",
                            writes(),
                            op_label(model, sg, first)
                        ),
                    });
                }
                *slot = Some(i);
            }
        }
    }

    for (i, op) in sg.operators.iter().enumerate() {
        for (k, t) in op.inputs.iter().enumerate() {
            let Some(t) = *t else { continue };
            let reads = || {
                format!(
                    "{} input {k} reads {}",
                    op_label(model, sg, i),
                    tensor_label(sg, t)
                )
            };
            match producer.get(t).copied().flatten() {
                Some(p) if p == i => {
                    return Err(ReadError::Graph {
                        problem: format!("{}, which it produces itself (a cycle)", reads()),
                    })
                }
                Some(p) if p > i => {
                    let cycle = if has_cycle(sg, &producer) {
                        "; the operators form a cycle"
                    } else {
                        ""
                    };
                    return Err(ReadError::Graph {
                        problem: format!(
                            "{}, which is produced by the later {}; operators must be in execution order{cycle}",
                            reads(),
                            op_label(model, sg, p)
                        ),
                    });
                }
                Some(_) => {}
                None if available.get(t).copied().unwrap_or(false) => {}
                None => {
                    return Err(ReadError::Graph {
                        problem: format!(
                            "{}, which no operator produces and which is not a subgraph input, a constant or a variable",
                            reads()
                        ),
                    })
                }
            }
        }
    }

    for (k, &t) in sg.outputs.iter().enumerate() {
        let produced = producer.get(t).copied().flatten().is_some();
        if !produced && !available.get(t).copied().unwrap_or(false) {
            return Err(ReadError::Graph {
                problem: format!(
                    "subgraph output {k} is {}, which no operator produces and which is not a subgraph input or a constant",
                    tensor_label(sg, t)
                ),
            });
        }
    }
    Ok(())
}

/// True when the operator dependency graph (producer of an input -> consumer) has a cycle
/// (Kahn's algorithm, iterative).
fn has_cycle(sg: &Subgraph, producer: &[Option<usize>]) -> bool {
    let n = sg.operators.len();
    let mut indegree = vec![0usize; n];
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, op) in sg.operators.iter().enumerate() {
        for t in op.inputs.iter().flatten() {
            if let Some(p) = producer.get(*t).copied().flatten() {
                if let (Some(list), Some(deg)) = (consumers.get_mut(p), indegree.get_mut(i)) {
                    list.push(i);
                    *deg += 1;
                }
            }
        }
    }
    let mut ready: Vec<usize> = (0..n)
        .filter(|&i| indegree.get(i).copied() == Some(0))
        .collect();
    let mut done = 0usize;
    while let Some(p) = ready.pop() {
        done += 1;
        let next = consumers
            .get_mut(p)
            .map(core::mem::take)
            .unwrap_or_default();
        for c in next {
            if let Some(deg) = indegree.get_mut(c) {
                *deg = deg.saturating_sub(1);
                if *deg == 0 {
                    ready.push(c);
                }
            }
        }
    }
    done < n
}
