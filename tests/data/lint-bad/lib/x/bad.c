/* A fixture for the lint's self-test: each line below must be flagged. */
void *f(int fd)
{
	struct s *p = malloc(16); /* malloc( in a comment is fine */
	ioctl(fd, 1, 0);
	return mmap (0, 4096, 3, 0x22, -1, 0);
}
