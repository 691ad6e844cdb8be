#ifndef LLAMAKIT_SPIN_HINT_H
#define LLAMAKIT_SPIN_HINT_H

/* The x86 `pause` hint for spin-wait loops. Swift's intrinsics module declares _mm_pause
   without a body (it is a compiler builtin in C), so debug builds cannot link it. */
static inline void llamakit_spin_hint(void) { __builtin_ia32_pause(); }

#endif
