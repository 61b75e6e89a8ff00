; Pharos import query for C and C++ (cpp inherits it): #include "..." only; <...> is the system's.
; Capture names: imports/python.scm.

(preproc_include path: (string_literal (string_content) @import.relative))
