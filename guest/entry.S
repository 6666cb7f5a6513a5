/* SPDX-License-Identifier: MIT */
/*
 * The test guest's entry. The VMM starts every vCPU here already in 64-bit
 * long mode (vmm_abi.h): RDI = vCPU index, RSI = parameter block, RDX =
 * number of vCPUs, RSP = the top of the vCPU's stack. Interrupts are off
 * and there is no IDT. guest_main() returns when the vCPU is done; HLT then
 * ends the vCPU (no interrupt controller: KVM exits with KVM_EXIT_HLT).
 */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	cli
	andq	$-16, %rsp
	call	guest_main
1:	hlt
	jmp	1b
