"""oncosig.genes"""
