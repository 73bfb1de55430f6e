/*
 * bcryptprimitives.dll for Wine 8, which ships none: since Go 1.22 every
 * Windows binary needs ProcessPrng from it at start-up ("fatal error:
 * bcryptprimitives.dll not found"). This stand-in fills the buffer with
 * RtlGenRandom (advapi32's SystemFunction036), which takes a ULONG length,
 * so a large request is served in chunks. Built by winetest with
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 * and copied into the prefix's system32. Test-only: never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE out, SIZE_T size)
{
    const SIZE_T chunk = 1u << 28;
    while (size > 0) {
        ULONG n = (ULONG)(size < chunk ? size : chunk);
        if (!SystemFunction036(out, n))
            return FALSE;
        out += n;
        size -= n;
    }
    return TRUE;
}
