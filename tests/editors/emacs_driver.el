;;; emacs_driver.el --- read back what stapkit lsp produced in Emacs  -*- lexical-binding: t -*-
;; Loaded by tests/editors/test_emacs.py after the init.el docs/editors.md gives:
;; opens $STAPKIT_EMACS_SCRIPT, lets eglot start the server, and writes the
;; diagnostics (flymake), a hover, a completion list and the buffer after
;; eglot-format-buffer as JSON to $STAPKIT_EMACS_OUT. Positions are the test's.
(require 'json)
;; Batch Emacs runs timers and reads the server's output only while it waits for input.
(defun stapkit-test--wait (predicate seconds)
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (funcall predicate)))
(let* ((out nil)
       (buf (find-file-noselect (getenv "STAPKIT_EMACS_SCRIPT"))))
  (with-current-buffer buf
    (push (cons 'mode (symbol-name major-mode)) out)
    ;; eglot-ensure starts the server after the command that opened the file.
    (run-hooks 'post-command-hook)
    (stapkit-test--wait (lambda () (eglot-current-server)) 60)
    (push (cons 'server (and (eglot-current-server) t)) out)
    (unless (eglot-current-server)
      (with-temp-file (getenv "STAPKIT_EMACS_OUT") (insert (json-encode out)))
      (kill-emacs 1))
    (stapkit-test--wait (lambda () (progn (flymake-start) (flymake-diagnostics))) 60)
    (push (cons 'diagnostics
                (apply #'vector (mapcar (lambda (d) (vector (line-number-at-pos (flymake-diagnostic-beg d))
                                          (flymake-diagnostic-text d)
                                          (symbol-name (flymake-diagnostic-type d))))
                        (flymake-diagnostics))))
          out)
    (goto-char (point-min)) (forward-line 3) (forward-char 9)
    (push (cons 'hover (jsonrpc-request (eglot-current-server) :textDocument/hover
                                        (eglot--TextDocumentPositionParams)))
          out)
    (goto-char (point-min)) (forward-line 2) (forward-char 14)
    (let ((completion (jsonrpc-request (eglot-current-server) :textDocument/completion
                                       (eglot--TextDocumentPositionParams))))
      (push (cons 'completion
                  (apply #'vector (mapcar (lambda (item) (plist-get item :label))
                          (if (vectorp completion) completion (plist-get completion :items)))))
            out))
    (setq-local indent-tabs-mode nil)
    (setq-local tab-width 2)
    (eglot-format-buffer)
    (push (cons 'text (buffer-substring-no-properties (point-min) (point-max))) out))
  (with-temp-file (getenv "STAPKIT_EMACS_OUT")
    (insert (json-encode out)))
  (kill-emacs 0))
