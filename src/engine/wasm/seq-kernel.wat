;; The scrape sequence's matcher (see src/engine/ingest/sequence.ts), in
;; WebAssembly with 128-bit SIMD: compares a body against the last scrape's runs 16 bytes a
;; step and parses each matched line's plain value, as many runs as match in a row, in one call.
;; Built into seq-kernel.wasm.ts by `npm run build:wasm` (scripts/build-wasm.ts, with wabt).
;;
;; Memory, laid out by src/engine/wasm/seq-kernel.ts:
;;   [0, 184)    POW10: 1e0 … 1e22 as f64 (written by the loader)
;;   [192, 204)  results of match(): end (i32), lines (i32), status (i32)
;;   then the run table, the runs' bytes, the body and the outputs, at offsets passed in.
;;
;; A run table row is 8 i32 (sequence-layout.ts's Run): start, key, nameEnd, keyEnd,
;; lines, entry, slow, unused; start, key and keyEnd are offsets into the runs' bytes.
(module
  (memory (export "memory") 4)

  ;; match(tab, k, kEnd, runs, body, pos, end, maxLine, outV, outP) → accepted runs
  ;;
  ;; From run k (< kEnd) and body offset pos (< end; body bytes at `body`), while the body
  ;; repeats run k's bytes and its line goes on with exactly: one space, a plain decimal
  ;; (plainValueLine in src/engine/parse/float.ts, bit for bit: d+ [. d*] ([eE] [+-]? d{1,4})?,
  ;; at most 15 digits, |power of ten| ≤ 22), LF, and the line from the run's key is at most
  ;; maxLine bytes: stores the value at outV[n] (f64), the run's body offset at outP[n] (i32),
  ;; and goes on with the next run and line. Returns n; at 192: the body offset after the
  ;; last accepted line, at 196: LFs consumed (each run's blank/comment lines and its own),
  ;; at 200: 1 when it stopped on a run whose bytes matched but whose rest of line is not
  ;; plain (the caller parses that line's tail itself), else 0.
  (func (export "match")
    (param $tab i32) (param $k i32) (param $kEnd i32) (param $runs i32) (param $body i32)
    (param $pos i32) (param $end i32) (param $maxLine i32) (param $outV i32) (param $outP i32)
    (result i32)
    (local $n i32) (local $lines i32) (local $status i32)
    (local $r i32) (local $s i32) (local $len i32) (local $a i32) (local $b i32)
    (local $j i32) (local $last i32)
    (local $i i32) (local $q i32) (local $c i32) (local $m i64) (local $digits i32)
    (local $fs i32) (local $e10 i32) (local $x i32) (local $xs i32) (local $ev i32)
    (local $eneg i32) (local $v f64)
    (block $stop
      (loop $run
        (br_if $stop (i32.ge_u (local.get $k) (local.get $kEnd)))
        (local.set $r (i32.add (local.get $tab) (i32.shl (local.get $k) (i32.const 5))))
        (local.set $s (i32.load (local.get $r)))
        (local.set $len (i32.sub (i32.load offset=12 (local.get $r)) (local.get $s)))
        ;; The series and at least the space after it must be in the body.
        (br_if $stop (i32.ge_s (local.get $len) (i32.sub (local.get $end) (local.get $pos))))
        (local.set $a (i32.add (local.get $runs) (local.get $s)))
        (local.set $b (i32.add (local.get $body) (local.get $pos)))
        ;; The run's bytes: 16 a step, the last step overlapping the one before; shorter
        ;; runs 8 bytes twice (overlapping) or byte by byte.
        (if (i32.ge_u (local.get $len) (i32.const 16))
          (then
            (local.set $last (i32.sub (local.get $len) (i32.const 16)))
            (local.set $j (i32.const 0))
            (block $cmpDone
              (loop $cmp
                (br_if $cmpDone (i32.ge_u (local.get $j) (local.get $last)))
                (br_if $stop
                  (v128.any_true
                    (v128.xor
                      (v128.load (i32.add (local.get $a) (local.get $j)))
                      (v128.load (i32.add (local.get $b) (local.get $j))))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $cmp)))
            (br_if $stop
              (v128.any_true
                (v128.xor
                  (v128.load (i32.add (local.get $a) (local.get $last)))
                  (v128.load (i32.add (local.get $b) (local.get $last)))))))
          (else
            (if (i32.ge_u (local.get $len) (i32.const 8))
              (then
                (br_if $stop (i64.ne (i64.load (local.get $a)) (i64.load (local.get $b))))
                (local.set $last (i32.sub (local.get $len) (i32.const 8)))
                (br_if $stop
                  (i64.ne
                    (i64.load (i32.add (local.get $a) (local.get $last)))
                    (i64.load (i32.add (local.get $b) (local.get $last))))))
              (else
                (local.set $j (i32.const 0))
                (block $bytesDone
                  (loop $bytes
                    (br_if $bytesDone (i32.ge_u (local.get $j) (local.get $len)))
                    (br_if $stop
                      (i32.ne
                        (i32.load8_u (i32.add (local.get $a) (local.get $j)))
                        (i32.load8_u (i32.add (local.get $b) (local.get $j)))))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $bytes)))))))
        ;; The series matched: from here on, a stop leaves the line to the caller's parser.
        (local.set $status (i32.const 1))
        (local.set $i (i32.add (local.get $pos) (local.get $len)))
        (br_if $stop (i32.ne (i32.load8_u (i32.add (local.get $body) (local.get $i))) (i32.const 32)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        ;; Integer digits.
        (local.set $q (local.get $i))
        (local.set $m (i64.const 0))
        (block $intDone
          (loop $int
            (br_if $intDone (i32.ge_u (local.get $q) (local.get $end)))
            (local.set $c (i32.sub (i32.load8_u (i32.add (local.get $body) (local.get $q))) (i32.const 48)))
            (br_if $intDone (i32.gt_u (local.get $c) (i32.const 9)))
            (local.set $m (i64.add (i64.mul (local.get $m) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $int)))
        (local.set $digits (i32.sub (local.get $q) (local.get $i)))
        (br_if $stop (i32.eqz (local.get $digits)))
        (br_if $stop (i32.ge_u (local.get $q) (local.get $end)))
        (local.set $c (i32.load8_u (i32.add (local.get $body) (local.get $q))))
        (local.set $e10 (i32.const 0))
        (if (i32.ne (local.get $c) (i32.const 10))
          (then
            ;; Fraction digits.
            (if (i32.eq (local.get $c) (i32.const 46))
              (then
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (local.set $fs (local.get $q))
                (block $fracDone
                  (loop $frac
                    (br_if $fracDone (i32.ge_u (local.get $q) (local.get $end)))
                    (local.set $c (i32.sub (i32.load8_u (i32.add (local.get $body) (local.get $q))) (i32.const 48)))
                    (br_if $fracDone (i32.gt_u (local.get $c) (i32.const 9)))
                    (local.set $m (i64.add (i64.mul (local.get $m) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
                    (local.set $q (i32.add (local.get $q) (i32.const 1)))
                    (br $frac)))
                (local.set $e10 (i32.sub (local.get $fs) (local.get $q)))
                (local.set $c
                  (if (result i32) (i32.lt_u (local.get $q) (local.get $end))
                    (then (i32.load8_u (i32.add (local.get $body) (local.get $q))))
                    (else (i32.const 0))))))
            ;; At most 15 digits: the mantissa is exact.
            (br_if $stop (i32.gt_s (i32.sub (local.get $digits) (local.get $e10)) (i32.const 15)))
            ;; An exponent of 1 to 4 digits, folded into the power of ten.
            (if (i32.eq (i32.or (local.get $c) (i32.const 32)) (i32.const 101))
              (then
                (local.set $x (i32.add (local.get $q) (i32.const 1)))
                (local.set $eneg (i32.const 0))
                (if (i32.lt_u (local.get $x) (local.get $end))
                  (then
                    (local.set $c (i32.load8_u (i32.add (local.get $body) (local.get $x))))
                    (if (i32.eq (local.get $c) (i32.const 45))
                      (then
                        (local.set $eneg (i32.const 1))
                        (local.set $x (i32.add (local.get $x) (i32.const 1))))
                      (else
                        (if (i32.eq (local.get $c) (i32.const 43))
                          (then (local.set $x (i32.add (local.get $x) (i32.const 1)))))))))
                (local.set $xs (local.get $x))
                (local.set $ev (i32.const 0))
                (block $expDone
                  (loop $exp
                    (br_if $expDone (i32.ge_u (local.get $x) (local.get $end)))
                    (br_if $expDone (i32.ge_u (i32.sub (local.get $x) (local.get $xs)) (i32.const 4)))
                    (local.set $c (i32.sub (i32.load8_u (i32.add (local.get $body) (local.get $x))) (i32.const 48)))
                    (br_if $expDone (i32.gt_u (local.get $c) (i32.const 9)))
                    (local.set $ev (i32.add (i32.mul (local.get $ev) (i32.const 10)) (local.get $c)))
                    (local.set $x (i32.add (local.get $x) (i32.const 1)))
                    (br $exp)))
                ;; No digit after the e: the line is not plain (c is still the e).
                (br_if $stop (i32.eq (local.get $x) (local.get $xs)))
                (local.set $e10
                  (if (result i32) (local.get $eneg)
                    (then (i32.sub (local.get $e10) (local.get $ev)))
                    (else (i32.add (local.get $e10) (local.get $ev)))))
                (local.set $q (local.get $x))
                (local.set $c
                  (if (result i32) (i32.lt_u (local.get $q) (local.get $end))
                    (then (i32.load8_u (i32.add (local.get $body) (local.get $q))))
                    (else (i32.const 0))))))
            (br_if $stop (i32.ne (local.get $c) (i32.const 10)))
            (br_if $stop (i32.lt_s (local.get $e10) (i32.const -22)))
            (br_if $stop (i32.gt_s (local.get $e10) (i32.const 22))))
          (else
            (br_if $stop (i32.gt_u (local.get $digits) (i32.const 15)))))
        ;; m < 10^15 is exact as a double; one IEEE multiply or divide rounds, as in JS.
        (local.set $v (f64.convert_i64_u (local.get $m)))
        (if (i32.gt_s (local.get $e10) (i32.const 0))
          (then (local.set $v (f64.mul (local.get $v) (f64.load (i32.shl (local.get $e10) (i32.const 3)))))))
        (if (i32.lt_s (local.get $e10) (i32.const 0))
          (then (local.set $v (f64.div (local.get $v) (f64.load (i32.shl (i32.sub (i32.const 0) (local.get $e10)) (i32.const 3)))))))
        ;; q is at the LF. The line from the series' key, LF included, within maxLine.
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br_if $stop
          (i32.gt_s
            (i32.sub (local.get $q) (i32.add (local.get $pos) (i32.sub (i32.load offset=4 (local.get $r)) (local.get $s))))
            (local.get $maxLine)))
        (f64.store (i32.add (local.get $outV) (i32.shl (local.get $n) (i32.const 3))) (local.get $v))
        (i32.store (i32.add (local.get $outP) (i32.shl (local.get $n) (i32.const 2))) (local.get $pos))
        (local.set $lines (i32.add (local.get $lines) (i32.add (i32.load offset=16 (local.get $r)) (i32.const 1))))
        (local.set $status (i32.const 0))
        (local.set $pos (local.get $q))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $run)))
    (i32.store (i32.const 192) (local.get $pos))
    (i32.store (i32.const 196) (local.get $lines))
    (i32.store (i32.const 200) (local.get $status))
    (local.get $n)))
