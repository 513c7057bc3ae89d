/**
 * One line bench/python/diffusers_loop.py printed on the 2-core development machine
 * (2026-12-06, `--runs 5 --unet-onnx resources/models/stepwise-shapes-64/unet/model.onnx`):
 * real output for the tests that read it.
 */
export const DIFFUSERS_LOOP_LINE =
  '{"python": "3.11.7", "torch": "2.13.0+cpu", "diffusers": "0.40.0.dev0", "threads": 1, "latentSize": 64, "steps": 20, "runs": 5, "progressBar": true, "loopOverheadMsPerStep": 0.250255500577623, "medianStepOverheadMs": 0.2359194986638613, "evictMiB": 64, "coldLoopOverheadMsPerStep": 0.778236000041943, "sameUnet": {"graph": "resources/models/stepwise-shapes-64/unet/model.onnx", "onnxruntime": "1.30.0", "intraOpThreads": 2, "embeddingShape": [1, 24, 128], "loopOverheadMsPerStep": 1.0780971992062405, "medianStepOverheadMs": 1.052089995937422, "unetMsPerStep": 371.05467850051355, "steps": 10, "runs": 8}}'
