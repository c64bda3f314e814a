/*
 * A planted UBSan error, for the test that proves a sanitizer report fails
 * a test: a signed overflow the compiler cannot see coming.
 */
#include <limits.h>
#include <stdio.h>

int main(void)
{
	volatile int big = INT_MAX;
	int sum = big + 1;

	printf("the overflow went unreported: %d\n", sum);
	return 0;
}
